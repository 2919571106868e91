# Reference partitions of mclust's model-based agglomerative hierarchical clustering, as
# Mclust() starts from them: hc(X, modelName = mclust.options("hcModelName") ("VVV"),
# use = mclust.options("hcUse") ("SVD")), cut by hclass() at G = 1..9 clusters.
# Galaxies (1-D) uses modelName "V".  Run once from the repository root:
#   Rscript tests/data/mclust/hc_reference.R
# The test suite reads the CSV files it writes and never calls R.
# Written with mclust 6.0.0 (R 4.x); the version is recorded in each file's header.
library(mclust)
datasets <- file.path("bayesgmm", "datasets")
out <- file.path("tests", "data", "mclust")
write_partitions <- function(name, X, modelName, use) {
  tree <- hc(X, modelName = modelName, use = use)
  cl <- hclass(tree, 1:9)
  colnames(cl) <- paste0("G", 1:9)
  path <- file.path(out, paste0("hc_", name, if (use == "SVD") "" else paste0("_", tolower(use)), ".csv"))
  con <- file(path, "w")
  writeLines(sprintf("# mclust %s: hclass(hc(X, modelName = \"%s\", use = \"%s\"), 1:9), X the numeric columns of bayesgmm/datasets/%s.csv",
                     packageVersion("mclust"), modelName, use, name), con)
  write.csv(cl, con, row.names = FALSE, quote = FALSE)
  close(con)
}
for (name in c("faithful", "iris", "diabetes", "thyroid")) {
  frame <- read.csv(file.path(datasets, paste0(name, ".csv")))
  X <- as.matrix(frame[, sapply(frame, is.numeric)])
  write_partitions(name, X, mclust.options("hcModelName"), mclust.options("hcUse"))
  write_partitions(name, X, mclust.options("hcModelName"), "VARS")  # hc()'s own default
}
galaxies <- read.csv(file.path(datasets, "galaxies.csv"))$velocity
write_partitions("galaxies", galaxies, "V", mclust.options("hcUse"))
