# Reference values of R mclust's discriminant analysis on the shipped diabetes and thyroid data:
# MclustDA(X, class, modelType = "EDDA") (one Gaussian per class, the family shared across
# classes, chosen by BIC over mclust's 14 models) and the default MclustDA (per class a mixture
# chosen by BIC over G = 1:5 and the 14 models).  Run once from the repository root:
#   Rscript tests/data/mclustda/reference.R
# The test suite reads the CSV files it writes and never calls R.
# Written with R 4.x and mclust 6.0.0 (the version is recorded in each file's header).
library(mclust)
datasets <- file.path("bayesgmm", "datasets")
out <- file.path("tests", "data", "mclustda")
write_with_header <- function(frame, name, header) {
  con <- file(file.path(out, name), "w")
  writeLines(sprintf("# mclust %s: %s", packageVersion("mclust"), header), con)
  write.csv(frame, con, row.names = FALSE, quote = FALSE)
  close(con)
}
edda_bic <- list()
edda <- list()
classes <- list()
class_bic <- list()
for (spec in list(c("diabetes", "class"), c("thyroid", "Diagnosis"))) {
  name <- spec[1]
  frame <- read.csv(file.path(datasets, paste0(name, ".csv")))
  X <- as.matrix(frame[, sapply(frame, is.numeric)])
  cl <- frame[[spec[2]]]
  e <- MclustDA(X, cl, modelType = "EDDA", verbose = FALSE)
  s <- summary(e)
  bic <- e$models[[1]]$BIC
  edda_bic[[name]] <- data.frame(dataset = name, model = names(bic),
                                 bic = format(bic, digits = 17))
  predicted <- predict(e, X)$classification
  edda[[name]] <- data.frame(dataset = name, model = e$models[[1]]$modelName,
                             loglik = format(e$loglik, digits = 17), df = e$df,
                             bic = format(e$bic, digits = 17),
                             errors = sum(predicted != cl), n = nrow(X))
  m <- MclustDA(X, cl, verbose = FALSE)
  for (label in levels(m$class)) {
    model <- m$models[[label]]
    table <- model$BIC  # G x model, NA where mclust could not fit
    cells <- expand.grid(G = as.integer(rownames(table)), model = colnames(table))
    class_bic[[paste(name, label)]] <- data.frame(
      dataset = name, class = label, G = cells$G, model = cells$model,
      bic = format(as.vector(table), digits = 17))
    classes[[paste(name, label)]] <- data.frame(
      dataset = name, class = label, n = model$n, model = model$modelName, G = model$G,
      bic = format(max(model$BIC, na.rm = TRUE), digits = 17), loglik = format(model$loglik, digits = 17),
      errors = sum(predict(m, X)$classification != cl))
  }
}
write_with_header(do.call(rbind, edda_bic), "edda_bic.csv",
  "MclustDA(X, class, modelType = \"EDDA\")$models[[1]]$BIC, mclust's sign (higher is better)")
write_with_header(do.call(rbind, edda), "edda.csv",
  "MclustDA(X, class, modelType = \"EDDA\"): chosen model, loglik, df, BIC, training errors")
write_with_header(do.call(rbind, classes), "mclustda.csv",
  "MclustDA(X, class) (G = 1:5, 14 models): per class the BIC-chosen model; errors: training errors of the whole classifier")
write_with_header(do.call(rbind, class_bic), "mclustda_bic.csv",
  "MclustDA(X, class): every class's BIC table (G x model; NA: not fitted), mclust's sign")
