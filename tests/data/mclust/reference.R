# Reference values from R's mclust for bayesgmm's 14 mclust covariance models.
#
# Produced with: mclust 6.0.0, R 4.2.2 Patched (2022-11-10 r83330), Debian 12 packages
# (apt-get install r-cran-mclust; reference BLAS/LAPACK), on 2026-12-06.
#
# Rerun (from the repository root; needs R with mclust, and MASS for the galaxies check):
#
#     Rscript tests/data/mclust/reference.R > tests/data/mclust/reference.log 2>&1
#
# It rewrites fits.csv, best.csv, nparams.csv, priors.csv, prior_mstep.csv, params_iris.csv,
# hc_init.csv, timing.csv and acidity.csv in tests/data/mclust/ (README.md there describes them).
# sweep_1000x6.csv is an input here; it was written once by tests/data/mclust/make_sweep.py
# (numpy, fixed seed). Everything except timing.csv is deterministic: mclust's default start
# is model-based hierarchical clustering, no random start, and no data set here has more than
# mclust.options("subset") = 2000 rows, so no random subset either.
#
# Data: read from the CSVs bayesgmm ships (bayesgmm/datasets/*.csv), the label columns
# Species / class / Diagnosis dropped. The script stops unless the numeric parts are exactly
# (every value, ==) R's own copies: datasets::faithful, iris[, 1:4], mclust::diabetes[, -1],
# mclust::thyroid[, -1] and MASS::galaxies; so these numbers are mclust's on mclust's data.
# acidity (1-D) has no CSV in bayesgmm; it is mclust::acidity, written to acidity.csv here.
#
# Conventions: mclust's BIC = 2 loglik - npar log(n) (larger is better); loglik is the
# observed-data log-likelihood at the parameters of EM's last M-step (also under a prior: the
# log prior density is not in it; checked below). Numbers are written with sprintf("%.17g"),
# so they parse back to the very doubles R had.

suppressPackageStartupMessages(library(mclust))

out_dir <- file.path("tests", "data", "mclust")
data_dir <- file.path("bayesgmm", "datasets")
if (!dir.exists(out_dir) || !dir.exists(data_dir)) {
  stop("run this script from the bayesgmm repository root")
}

MODELS <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
            "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV")
stopifnot(identical(MODELS, mclust.options("emModelNames")))
MODELS_1D <- c("E", "V")
GS <- 1:9
MCLUST_VERSION <- as.character(packageVersion("mclust"))

cat("mclust", MCLUST_VERSION, "|", R.version.string, "|", format(Sys.time(), tz = "UTC"), "UTC\n")
cat("mclust.options: hcModelName =", mclust.options("hcModelName"),
    ", hcUse =", mclust.options("hcUse"), ", subset =", mclust.options("subset"), "\n")
cat("emControl(): tol =", format(emControl()$tol, digits = 17),
    ", itmax =", emControl()$itmax, ", eps =", emControl()$eps, "\n\n")

num <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))

write_out <- function(df, file) {
  path <- file.path(out_dir, file)
  if ("note" %in% names(df)) {  # quote a note only when it holds a comma or a quote
    q <- grepl('[,"]', df$note)
    df$note[q] <- paste0('"', gsub('"', '""', df$note[q]), '"')
  }
  write.csv(df, path, row.names = FALSE, na = "", quote = FALSE)
  cat(sprintf("wrote %s (%d rows, %d bytes)\n", path, nrow(df), file.size(path)))
}

# ---------------------------------------------------------------- data ---------------------

read_numeric <- function(file, drop = character()) {
  x <- read.csv(file.path(data_dir, file), check.names = FALSE)
  x <- x[, setdiff(names(x), drop), drop = FALSE]
  m <- as.matrix(x)
  storage.mode(m) <- "double"
  m
}

same_values <- function(a, b, what) {
  a <- as.matrix(a); b <- as.matrix(b)
  storage.mode(a) <- "double"; storage.mode(b) <- "double"
  ok <- identical(dim(a), dim(b)) && all(a == b) &&
    (is.null(colnames(b)) || identical(colnames(a), colnames(b)))
  if (!ok) stop("bayesgmm's ", what, " differs from R's copy")
  cat(sprintf("check: bayesgmm %s == R's copy (%d x %d, every value equal)\n",
              what, nrow(a), ncol(a)))
}

faithful_x <- read_numeric("faithful.csv")
iris_x <- read_numeric("iris.csv", drop = "Species")
diabetes_x <- read_numeric("diabetes.csv", drop = "class")
thyroid_x <- read_numeric("thyroid.csv", drop = "Diagnosis")
galaxies_x <- read_numeric("galaxies.csv")[, 1]

# The CSVs bayesgmm ships hold exactly R's data sets (checked here, value by value):
same_values(faithful_x, datasets::faithful, "faithful.csv")            # datasets::faithful
same_values(iris_x, datasets::iris[, 1:4], "iris.csv[, -Species]")      # iris[, 1:4]
same_values(diabetes_x, mclust::diabetes[, -1], "diabetes.csv[, -class]")  # mclust::diabetes[, -1]
same_values(thyroid_x, mclust::thyroid[, -1], "thyroid.csv[, -Diagnosis]")  # mclust::thyroid[, -1]
if (requireNamespace("MASS", quietly = TRUE)) {
  same_values(galaxies_x, MASS::galaxies, "galaxies.csv")              # MASS::galaxies
} else {
  cat("MASS not installed: galaxies.csv not checked against MASS::galaxies\n")
}

acidity_x <- as.numeric(mclust::acidity)
acidity_txt <- as.character(acidity_x)
stopifnot(identical(as.numeric(acidity_txt), acidity_x))
write_out(data.frame(acidity = acidity_txt), "acidity.csv")

sweep_x <- as.matrix(read.csv(file.path(out_dir, "sweep_1000x6.csv")))
stopifnot(identical(dim(sweep_x), c(1000L, 6L)))

MULTI <- list(faithful = faithful_x, iris = iris_x, diabetes = diabetes_x, thyroid = thyroid_x)
ONED <- list(acidity = acidity_x, galaxies = galaxies_x)

# ---------------------------------------------------------------- fits.csv ----------------

dims <- function(X) if (is.null(dim(X))) c(length(X), 1L) else dim(X)

quiet <- function(expr) {
  msgs <- character()
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) structure(list(msg = conditionMessage(e)), class = "err")),
    warning = function(w) {
      msgs <<- c(msgs, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  list(value = value, warnings = unique(msgs))
}

# One cell exactly as mclustBIC computes it: mvn() for G = 1; otherwise me() started from the
# hierarchical-clustering partition mclustBIC uses (hclass of its hcPairs; for 1-D data
# qclass, i.e. quantiles), default emControl().
cell_me <- function(X, m, g, hcPairs, prior = NULL) {
  if (g == 1) return(mvn(modelName = m, data = X, prior = prior))
  cl <- if (is.null(dim(X))) mclust:::qclass(X, g) else hclass(hcPairs, g)[, 1]
  me(data = X, modelName = m, z = unmap(cl, groups = 1:max(cl)), prior = prior)
}

loglik_at <- function(X, m, parameters) {
  if (is.null(parameters$pro)) parameters$pro <- 1
  if (length(parameters$pro) == 1) {
    # G = 1: mvn() returns an "X", "XII", "XXI" or "XXX" model; evaluate it as "V" / "VVV"
    oneD <- is.null(dim(X))
    v <- parameters$variance
    parameters$variance <- if (oneD) list(modelName = "V", d = 1, G = 1, sigmasq = v$sigmasq)
      else list(modelName = "VVV", d = ncol(X), G = 1, sigma = v$sigma,
                cholsigma = array(chol(v$sigma[, , 1]), dim(v$sigma)))
    m <- if (oneD) "V" else "VVV"
  }
  sum(log(dens(data = X, modelName = m, parameters = parameters)))
}

param_numbers <- function(p) {
  c(p$pro, as.vector(p$mean), unlist(lapply(p$variance[c("sigma", "sigmasq")], as.vector)))
}

# Mclust(X, G = g, modelNames = m, prior = prior) for one cell, checked against the me()/mvn()
# run mclustBIC makes. Checks (stop() if any fails):
#   * Mclust's loglik is me()'s loglik, bit for bit;
#   * that loglik is the observed-data log-likelihood at me()'s final parameters (rel. 1e-9):
#     no log prior density in it, also under a prior;
#   * bic == 2 loglik - npar log n.
# extra_mstep: Mclust's summary step (summaryMclustBIC) runs one more M-step on me()'s final z
# when sum((pro - colMeans(z))^2) > sqrt(.Machine$double.eps); then the parameters Mclust
# returns are not the ones its loglik was computed at. loglik_at_params is the data
# log-likelihood at the parameters Mclust returns.
g_fun <- function(g) if (g == 1) "mvn()" else "me()"

fit_cell <- function(name, X, m, g, hcPairs, prior = NULL) {
  n <- dims(X)[1]; d <- dims(X)[2]
  npar <- nMclustParams(m, d, g)
  one <- quiet(Mclust(X, G = g, modelNames = m, prior = prior, verbose = FALSE))
  fit <- one$value
  res <- list(npar = npar, n = n, d = d, ok = FALSE, loglik = NA_real_, bic = NA_real_,
              loglik_at_params = NA_real_, extra_mstep = NA, iterations = NA_integer_,
              fit = fit, warnings = one$warnings)
  if (!inherits(fit, "Mclust") || is.na(fit$bic)) {
    # mclust's reason, as me()/mvn() give it: attributes returnCode and WARNING
    direct <- quiet(cell_me(X, m, g, hcPairs, prior))
    res$why <- if (inherits(direct$value, "err")) paste(g_fun(g), "error:", direct$value$msg) else
      paste0(g_fun(g), " alone: returnCode ", attr(direct$value, "returnCode"),
             if (is.na(direct$value$loglik)) ", loglik NA" else
               paste0(", loglik ", format(direct$value$loglik, digits = 17)),
             if (length(c(attr(direct$value, "WARNING"), direct$warnings)))
               paste0(": ", paste(c(attr(direct$value, "WARNING"), direct$warnings), collapse = " | ")))
    return(res)
  }
  where <- sprintf("%s %s G=%d%s", name, m, g, if (is.null(prior)) "" else " (prior)")
  internal <- quiet(cell_me(X, m, g, hcPairs, prior))$value
  ll <- as.numeric(fit$loglik); b <- as.numeric(fit$bic)
  if (!identical(ll, as.numeric(internal$loglik)))
    stop(where, ": Mclust's loglik is not me()'s")
  if (!isTRUE(all.equal(loglik_at(X, m, internal$parameters), ll, tolerance = 1e-9)))
    stop(where, ": loglik is not the data log-likelihood at me()'s parameters")
  if (!isTRUE(all.equal(b, 2 * ll - npar * log(n), tolerance = 1e-12)))
    stop(where, ": bic != 2 loglik - npar log n")
  res$ok <- TRUE; res$loglik <- ll; res$bic <- b
  res$loglik_at_params <- loglik_at(X, m, fit$parameters)
  res$extra_mstep <- !identical(param_numbers(fit$parameters), param_numbers(internal$parameters))
  if (g > 1) res$iterations <- as.integer(unlist(attr(internal, "info"))[[1]])  # EM (outer) iterations
  res
}

bic_tables <- list()
hc_pairs <- list()
fit_rows <- list()
for (name in c(names(MULTI), names(ONED))) {
  X <- if (name %in% names(MULTI)) MULTI[[name]] else ONED[[name]]
  models <- if (name %in% names(MULTI)) MODELS else MODELS_1D
  BIC <- quiet(mclustBIC(X, G = GS, modelNames = models, verbose = FALSE))$value
  bic_tables[[name]] <- BIC
  RET <- attr(BIC, "returnCodes")
  hc_pairs[[name]] <- attr(BIC, "initialization")$hcPairs
  n_exact <- 0
  for (m in models) for (g in GS) {
    b <- BIC[as.character(g), m]
    cell <- fit_cell(name, X, m, g, hc_pairs[[name]])
    if (cell$ok != !is.na(b) || (cell$ok && cell$bic != b))
      stop(sprintf("%s %s G=%d: Mclust() differs from the mclustBIC table", name, m, g))
    n_exact <- n_exact + isTRUE(2 * cell$loglik - cell$npar * log(cell$n) == b)
    note <- if (cell$ok) "" else
      paste(c(sprintf("mclustBIC NA (returnCode %d)", RET[as.character(g), m]), cell$why,
              cell$warnings), collapse = "; ")
    fit_rows[[length(fit_rows) + 1]] <- data.frame(
      dataset = name, model = m, G = g, loglik = num(cell$loglik), bic = num(cell$bic),
      npar = cell$npar, n = cell$n, d = cell$d, ok = cell$ok,
      return_code = RET[as.character(g), m], iterations = cell$iterations,
      extra_mstep = cell$extra_mstep, loglik_at_params = num(cell$loglik_at_params),
      note = note)
  }
  cat(sprintf("%s: %d of %d cells fitted; Mclust() per cell == mclustBIC table everywhere;",
              name, sum(!is.na(BIC)), length(BIC)),
      sprintf("2*loglik - npar*log(n) == BIC bit for bit in %d cells\n", n_exact))
}
fits <- do.call(rbind, fit_rows)
write_out(fits, "fits.csv")

# ---------------------------------------------------------------- hc_init.csv -------------
# The starting partitions mclustBIC used for G = 2..9 (G = 1 needs none): hclass() of its
# hcPairs (hc, model "VVV", use = "SVD") for multivariate data, qclass() (quantiles) for 1-D.
# EM started from unmap() of one of these columns reproduces the cell in fits.csv.

hc_rows <- list()
for (name in c(names(MULTI), names(ONED))) {
  X <- if (name %in% names(MULTI)) MULTI[[name]] else ONED[[name]]
  cls <- sapply(2:9, function(g)
    if (is.null(dim(X))) mclust:::qclass(X, g) else hclass(hc_pairs[[name]], g)[, 1])
  colnames(cls) <- paste0("G", 2:9)
  hc_rows[[name]] <- data.frame(dataset = name, row = seq_len(nrow(cls)), cls)
}
write_out(do.call(rbind, hc_rows), "hc_init.csv")

# ---------------------------------------------------------------- nparams.csv -------------

np_rows <- list()
for (d in c(1, 2, 3, 4, 6, 10)) {
  models <- if (d == 1) c(MODELS_1D, MODELS) else MODELS
  for (m in models) for (g in c(1, 2, 3, 5, 9)) {
    nv <- tryCatch(nVarParams(m, d, g), error = function(e) NA)
    nm <- tryCatch(nMclustParams(m, d, g), error = function(e) NA)
    if (is.na(nv) || is.na(nm)) next  # mclust refuses (does not happen in 6.0.0)
    np_rows[[length(np_rows) + 1]] <- data.frame(model = m, d = d, G = g,
                                                 nVarParams = nv, nMclustParams = nm)
  }
}
write_out(do.call(rbind, np_rows), "nparams.csv")

# ---------------------------------------------------------------- priors.csv --------------

pr_rows <- list()
for (name in c("faithful", "iris")) {
  X <- MULTI[[name]]
  for (m in MODELS) for (g in 1:5) {
    cell <- fit_cell(name, X, m, g, hc_pairs[[name]], prior = priorControl())
    note <- ""
    if (!cell$ok) {
      fit <- cell$fit
      note <- paste0(
        if (inherits(fit, "err")) paste0("Mclust() error: ", fit$msg) else "Mclust() returned NULL",
        if (m %in% c("EVE", "VEE", "VVE", "EVV"))
          " (mclustBIC drops EVE, VEE, VVE, EVV whenever a prior is given, leaving no model)" else "",
        if (length(cell$warnings)) paste0("; Mclust() warning: ", paste(cell$warnings, collapse = " | ")) else "",
        "; ", cell$why)
    }
    pr_rows[[length(pr_rows) + 1]] <- data.frame(
      dataset = name, model = m, G = g, loglik = num(cell$loglik), bic = num(cell$bic),
      npar = cell$npar, n = cell$n, d = cell$d, ok = cell$ok, iterations = cell$iterations,
      extra_mstep = cell$extra_mstep, loglik_at_params = num(cell$loglik_at_params), note = note)
  }
}
write_out(do.call(rbind, pr_rows), "priors.csv")

# ---------------------------------------------------------------- prior_mstep.csv ---------
# Does me()'s M-step (inside mclust's Fortran EM loop; what mclustBIC and the loglik use) equal
# mstep() (the stand-alone M-step; what Mclust's extra M-step uses) on the same z? One EM
# iteration, me(itmax = 1), from the G = 3 hc start, against mstep() on that start.

ms_rows <- list()
for (name in c("faithful", "iris")) {
  X <- MULTI[[name]]
  z0 <- unmap(hclass(hc_pairs[[name]], 3)[, 1])
  for (use_prior in c(FALSE, TRUE)) {
    prior <- if (use_prior) priorControl() else NULL
    models <- if (use_prior) setdiff(MODELS, c("EVE", "VEE", "VVE", "EVV")) else MODELS
    for (m in models) {
      a <- me(X, m, z = z0, prior = prior, control = emControl(itmax = 1))$parameters
      b <- mstep(X, m, z = z0, prior = prior)$parameters
      ms_rows[[length(ms_rows) + 1]] <- data.frame(
        dataset = name, model = m, G = 3, prior = use_prior,
        max_abs_diff_pro = num(max(abs(a$pro - b$pro))),
        max_abs_diff_mean = num(max(abs(a$mean - b$mean))),
        max_abs_diff_sigma = num(max(abs(a$variance$sigma - b$variance$sigma))))
    }
  }
}
ms <- do.call(rbind, ms_rows)
write_out(ms, "prior_mstep.csv")
differ <- ms[as.numeric(ms$max_abs_diff_mean) > 1e-10 | as.numeric(ms$max_abs_diff_sigma) > 1e-10, ]
cat("me() M-step != mstep():", paste(differ$dataset, differ$model,
    ifelse(differ$prior, "prior", "no prior"), collapse = "; "), "\n")

# ---------------------------------------------------------------- params_iris.csv ---------

flat <- function(model, g, param, x) {
  if (is.null(x)) return(NULL)  # e.g. no orientation for diagonal models
  a <- as.array(x)
  dm <- dim(a)
  idx <- arrayInd(seq_along(a), dm)
  # axes: pro, scale (per component) -> k; mean, shape (d x G) -> i, k;
  # shape (length d) -> i; sigma, orientation (d x d x G) -> i, j, k; orientation (d x d) -> i, j
  cols <- switch(param,
    pro = "k", scale = if (length(a) > 1) "k" else character(),
    mean = c("i", "k"), shape = if (length(dm) == 2) c("i", "k") else "i",
    sigma = c("i", "j", "k"), orientation = if (length(dm) == 3) c("i", "j", "k") else c("i", "j"))
  df <- data.frame(model = model, G = g, param = param,
                   i = NA_integer_, j = NA_integer_, k = NA_integer_, value = num(as.vector(a)))
  for (ci in seq_along(cols)) df[[cols[ci]]] <- idx[, ci]
  df
}

pa_rows <- list()
for (m in c("VEV", "EVE", "VVE", "VEE", "VEI", "EEV", "EVV", "EVI")) for (g in 2:3) {
  fit <- Mclust(iris_x, G = g, modelNames = m, verbose = FALSE)
  stopifnot(inherits(fit, "Mclust"))
  p <- fit$parameters
  pa_rows[[length(pa_rows) + 1]] <- rbind(
    flat(m, g, "pro", p$pro), flat(m, g, "mean", p$mean),
    flat(m, g, "sigma", p$variance$sigma), flat(m, g, "scale", p$variance$scale),
    flat(m, g, "shape", p$variance$shape), flat(m, g, "orientation", p$variance$orientation),
    data.frame(model = m, G = g, param = c("loglik", "loglik_at_params"), i = NA, j = NA, k = NA,
               value = num(c(fit$loglik, loglik_at(iris_x, m, p)))))
}
write_out(do.call(rbind, pa_rows), "params_iris.csv")

# ---------------------------------------------------------------- timing + best.csv -------

runs <- 5
times <- numeric(runs)
for (r in seq_len(runs)) {
  times[r] <- system.time(sweep_fit <- Mclust(sweep_x, G = 1:9, verbose = FALSE))[["elapsed"]]
}
cat("Mclust(sweep_1000x6, G = 1:9) elapsed seconds:", times, "\n")
write_out(data.frame(what = "Mclust(sweep_1000x6; G = 1:9): 14 models x 9 G; default hc start",
                     median_seconds = median(times), runs = runs,
                     mclust_version = MCLUST_VERSION), "timing.csv")
bic_tables[["sweep_1000x6"]] <- sweep_fit$BIC

best_rows <- list()
for (name in names(bic_tables)) {
  top <- pickBIC(bic_tables[[name]], k = 3)  # what summary(<mclustBIC>) prints
  mg <- do.call(rbind, strsplit(names(top), ","))
  best_rows[[name]] <- data.frame(dataset = name, rank = seq_along(top), model = mg[, 1],
                                  G = as.integer(mg[, 2]), bic = num(unname(top)))
  cat(name, ":", paste(names(top), collapse = "  "), "\n")
}
stopifnot(sweep_fit$modelName == best_rows[["sweep_1000x6"]]$model[1],
          sweep_fit$G == best_rows[["sweep_1000x6"]]$G[1])
write_out(do.call(rbind, best_rows), "best.csv")

cat("\n"); print(sessionInfo())
