# mclust's noise model on the data sets of simulate.R, started from the noise guess of
# noise_start.py: Mclust(X, G, modelNames, initialization = list(noise = mask)) at the true
# G.  Writes reference.csv (one row per data set: log-likelihood, BIC, parameter count
# nMclustParams(..., noise = TRUE), log hypvol, noise weight, and how many rows mclust's
# noise labels get right) and <name>_mclust_labels.csv (mclust's classification, 0 =
# noise).  Run once from the repository root (see simulate.R); written with mclust 6.0.0.
library(mclust)
out <- file.path("tests", "data", "mclust_noise")
cases <- data.frame(name = c("full2d", "tied3d", "spherical2d"),
                    model = c("VVV", "EEE", "VII"), G = c(3, 3, 2))
rows <- list()
for (i in seq_len(nrow(cases))) {
  frame <- read.csv(file.path(out, paste0(cases$name[i], ".csv")))
  X <- as.matrix(frame[, grep("^x", names(frame))])
  mask <- read.csv(file.path(out, paste0(cases$name[i], "_start.csv")))$noise == 1
  fit <- Mclust(X, G = cases$G[i], modelNames = cases$model[i],
                initialization = list(noise = mask), verbose = FALSE)
  labels <- fit$classification
  write.csv(data.frame(label = labels),
            file.path(out, paste0(cases$name[i], "_mclust_labels.csv")), row.names = FALSE)
  rows[[i]] <- data.frame(
    name = cases$name[i], model = cases$model[i], G = cases$G[i],
    loglik = sprintf("%.10f", fit$loglik), bic = sprintf("%.10f", fit$bic),
    n_parameters = nMclustParams(cases$model[i], ncol(X), cases$G[i], noise = TRUE),
    log_hypvol = sprintf("%.12f", log(hypvol(X))),
    log_vinv = sprintf("%.12f", log(fit$hypvol)),
    noise_weight = sprintf("%.10f", fit$parameters$pro[cases$G[i] + 1]),
    noise_agreement = sum((labels == 0) == (frame$truth == 0)),
    n = nrow(X), mclust = as.character(packageVersion("mclust")))
}
write.csv(do.call(rbind, rows), file.path(out, "reference.csv"), row.names = FALSE, quote = FALSE)
