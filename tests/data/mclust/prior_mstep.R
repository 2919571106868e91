# mclust's stand-alone M-step under priorControl() on iris, from mclust's own G = 3 starting
# partition (hc_init.csv): the covariances and means of mstep(modelName, X, unmap(cl), prior).
# Written once by hand with R 4.2.2 / mclust 6.0.0 (2026-12-06); the suite reads
# prior_mstep_iris.csv and never calls R.  Rerun from the repository root:
#   Rscript tests/data/mclust/prior_mstep.R
library(mclust)
X <- as.matrix(read.csv("bayesgmm/datasets/iris.csv")[, 1:4])
h <- read.csv("tests/data/mclust/hc_init.csv")
z <- unmap(h$G3[h$dataset == "iris"])
rows <- list()
for (m in c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "EEV", "VEV", "VVV")) {
  fit <- mstep(modelName = m, data = X, z = z, prior = priorControl())
  s <- fit$parameters$variance$sigma  # p x p x G
  idx <- expand.grid(i = 1:4, j = 1:4, k = 1:3)
  rows[[length(rows) + 1]] <- data.frame(model = m, what = "sigma", k = idx$k - 1,
                                         i = idx$i - 1, j = idx$j - 1,
                                         value = format(as.vector(s), digits = 17))
  mu <- fit$parameters$mean  # p x G
  idx <- expand.grid(i = 1:4, k = 1:3)
  rows[[length(rows) + 1]] <- data.frame(model = m, what = "mean", k = idx$k - 1,
                                         i = idx$i - 1, j = NA,
                                         value = format(as.vector(mu), digits = 17))
}
write.csv(do.call(rbind, rows), "tests/data/mclust/prior_mstep_iris.csv", row.names = FALSE,
          quote = FALSE)
