# Data sets with uniform background noise for the noise-component tests (issue 17).
# Each: G Gaussian clusters plus uniform noise over a box 1.5 times wider than the
# clusters' span.  Run once from the repository root:
#   Rscript tests/data/mclust_noise/simulate.R
#   PYTHONPATH=. python tests/data/mclust_noise/noise_start.py
#   Rscript tests/data/mclust_noise/reference.R
# The suite reads the CSV files and never calls R.
set.seed(17)
out <- file.path("tests", "data", "mclust_noise")
simulate <- function(name, means, covs, sizes, n_noise) {
  G <- length(sizes)
  d <- length(means[[1]])
  blocks <- lapply(1:G, function(k) {
    L <- chol(covs[[k]])
    matrix(rnorm(sizes[k] * d), sizes[k], d) %*% L + matrix(means[[k]], sizes[k], d, byrow = TRUE)
  })
  X <- do.call(rbind, blocks)
  lo <- apply(X, 2, min); hi <- apply(X, 2, max)
  centre <- (lo + hi) / 2; half <- 0.75 * (hi - lo)
  noise <- sapply(1:d, function(j) runif(n_noise, centre[j] - half[j], centre[j] + half[j]))
  data <- rbind(X, noise)
  colnames(data) <- paste0("x", 1:d)
  truth <- c(rep(1:G, sizes), rep(0, n_noise))  # mclust's labels: 0 is noise
  write.csv(data.frame(data, truth = truth), file.path(out, paste0(name, ".csv")), row.names = FALSE)
}
rot <- function(a) matrix(c(cos(a), sin(a), -sin(a), cos(a)), 2)
# full (VVV): three differently shaped and oriented clusters in 2-D
simulate("full2d", list(c(0, 0), c(6, 1), c(2, 6)),
         list(rot(0.5) %*% diag(c(2, 0.3)) %*% t(rot(0.5)),
              rot(-0.8) %*% diag(c(1.2, 0.4)) %*% t(rot(-0.8)),
              diag(c(0.5, 0.5))),
         c(150, 120, 100), 60)
# tied (EEE): three clusters sharing one tilted covariance in 3-D
S <- matrix(c(1, 0.5, 0.2, 0.5, 1, 0.3, 0.2, 0.3, 0.6), 3)
simulate("tied3d", list(c(0, 0, 0), c(5, 0, 1), c(0, 5, -1)), list(S, S, S), c(130, 130, 130), 70)
# spherical (VII): two round clusters of different sizes in 2-D
simulate("spherical2d", list(c(0, 0), c(5, 4)), list(diag(2) * 0.6, diag(2) * 1.5),
         c(180, 140), 50)
