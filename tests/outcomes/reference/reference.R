# Reference values for engraft.outcomes, produced with R survival and cmprsk.
# Usage: Rscript reference.R <data-dir written by export_data.py> <output csv>
# Output: long CSV (case, quantity, index, value), '#' header lines record versions and date.
suppressMessages({library(survival); library(cmprsk)})
args <- commandArgs(trailingOnly = TRUE)
ddir <- if (length(args) >= 1) args[1] else "/tmp/engraft-outcomes-data"
outf <- if (length(args) >= 2) args[2] else "r_reference.csv"

bmt <- read.csv(file.path(ddir, "bmt.csv"))
cgvhd <- read.csv(file.path(ddir, "cgvhd.csv"))
syn <- read.csv(file.path(ddir, "synthetic.csv"))

rows <- list()
put <- function(case, quantity, values) {
  values <- as.numeric(values)
  if (length(values) == 0) return(invisible())
  rows[[length(rows) + 1]] <<- data.frame(case = case, quantity = quantity,
    index = seq_along(values) - 1L, value = sprintf("%.17g", values))
}

# fingerprints of the data R saw, so that a changed dataset is reported as such by the tests
for (nm in c("bmt", "cgvhd", "syn")) {
  d <- get(nm)
  put(paste0("data_", nm), "nrow", nrow(d))
  for (col in names(d)) put(paste0("data_", nm), paste0("sum:", col), sum(d[[col]]))
}

km_case <- function(case, time, event, entry = NULL, landmarks = NULL) {
  fit <- if (is.null(entry)) survfit(Surv(time, event) ~ 1, conf.type = "log-log")
         else survfit(Surv(entry, time, event) ~ 1, conf.type = "log-log")
  put(case, "time", fit$time); put(case, "n_risk", fit$n.risk)
  put(case, "n_event", fit$n.event); put(case, "n_censor", fit$n.censor)
  put(case, "surv", fit$surv); put(case, "std_err", fit$std.err)
  put(case, "lower", fit$lower); put(case, "upper", fit$upper)
  q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
  put(case, "q_prob", c(0.25, 0.5, 0.75))
  put(case, "q_est", q$quantile); put(case, "q_lower", q$lower); put(case, "q_upper", q$upper)
  if (!is.null(landmarks)) {
    s <- summary(fit, times = landmarks)
    put(case, "lm_time", s$time); put(case, "lm_surv", s$surv); put(case, "lm_se", s$std.err)
    put(case, "lm_lower", s$lower); put(case, "lm_upper", s$upper)
  }
}

km_case("km_bmt_any", bmt$time, as.integer(bmt$status > 0), landmarks = c(6, 12, 24, 36))
km_case("km_cgvhd_any", cgvhd$time, as.integer(cgvhd$status > 0), landmarks = c(0.25, 0.5, 1, 2))
km_case("km_cgvhd_death", cgvhd$time, as.integer(cgvhd$status == 3), landmarks = c(0.5, 1, 2))
km_case("km_syn_any", syn$time, as.integer(syn$status > 0), landmarks = c(0, 30, 100, 365, 730))
g0 <- syn$group == 0
km_case("km_syn_g0_rel", syn$time[g0], as.integer(syn$status[g0] == 1), landmarks = c(100, 365))
pos <- syn$time > 0
km_case("km_syn_entry", syn$time[pos], as.integer(syn$status[pos] > 0), entry = syn$entry[pos],
        landmarks = c(30, 100, 365))
km_case("km_allcens", syn$time, rep(0L, nrow(syn)))

# small hand-made edge case: events of both causes and a censoring at time 0, heavy ties, and the
# last observation an event (S falls to 0); the same vectors are in tests/outcomes/_outcomes_data.py
edge <- data.frame(time = c(0, 0, 0, 1, 1, 2, 2, 2, 3, 5, 5, 8),
                   status = c(1, 2, 0, 1, 1, 0, 2, 1, 1, 0, 2, 1),
                   group = c(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1))
km_case("km_edge", edge$time, as.integer(edge$status > 0), landmarks = c(0, 1, 4, 8))

aj_case <- function(case, time, status, group = NULL, strata = NULL, rho = 0) {
  fit <- if (is.null(group)) cuminc(time, status, rho = rho)
         else if (is.null(strata)) cuminc(time, status, group, rho = rho)
         else cuminc(time, status, group, strata, rho = rho)
  for (nm in setdiff(names(fit), "Tests")) {
    key <- gsub(" ", "_", nm)
    put(case, paste0(key, ":time"), fit[[nm]]$time)
    put(case, paste0(key, ":est"), fit[[nm]]$est)
    put(case, paste0(key, ":var"), fit[[nm]]$var)
  }
  if (!is.null(fit$Tests)) {
    put(case, "test_cause", as.numeric(rownames(fit$Tests)))
    put(case, "test_stat", fit$Tests[, "stat"]); put(case, "test_pv", fit$Tests[, "pv"])
    put(case, "test_df", fit$Tests[, "df"])
  }
}
aj_case("aj_bmt", bmt$time, bmt$status)
aj_case("aj_bmt_dis", bmt$time, bmt$status, bmt$dis)
aj_case("aj_cgvhd_tx", cgvhd$time, cgvhd$status, cgvhd$tx_pb)
aj_case("aj_cgvhd_tx_strata", cgvhd$time, cgvhd$status, cgvhd$tx_pb, cgvhd$extent_l)
aj_case("aj_syn_group", syn$time, syn$status, syn$group)
aj_case("aj_syn_group_strata", syn$time, syn$status, syn$group, syn$stratum)
aj_case("aj_edge_group", edge$time, edge$status, edge$group)
aj_case("aj_syn_group_rho1", syn$time, syn$status, syn$group, rho = 1)

lr_case <- function(case, time, event, group, strata = NULL) {
  fit <- if (is.null(strata)) survdiff(Surv(time, event) ~ group)
         else survdiff(Surv(time, event) ~ group + strata(strata))
  obs <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  ex <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  put(case, "chisq", fit$chisq); put(case, "observed", obs); put(case, "expected", ex)
  put(case, "var", fit$var)
  put(case, "pvalue", pchisq(fit$chisq, sum(ex > 0) - 1, lower.tail = FALSE))
}
lr_case("lr_bmt_dis", bmt$time, as.integer(bmt$status > 0), bmt$dis)
lr_case("lr_cgvhd_tx", cgvhd$time, as.integer(cgvhd$status > 0), cgvhd$tx_pb)
lr_case("lr_cgvhd_tx_strata", cgvhd$time, as.integer(cgvhd$status > 0), cgvhd$tx_pb, cgvhd$dx_aml)
lr_case("lr_edge_group", edge$time, as.integer(edge$status > 0), edge$group)
lr_case("lr_syn_group", syn$time, as.integer(syn$status == 1), syn$group)
lr_case("lr_syn_group_strata", syn$time, as.integer(syn$status == 1), syn$group, syn$stratum)

ctl <- coxph.control(eps = 1e-11, iter.max = 100)
cox_case <- function(case, time, event, X, entry = NULL, strata = NULL) {
  for (ties in c("efron", "breslow")) {
    fit <- if (!is.null(entry)) coxph(Surv(entry, time, event) ~ X, ties = ties, control = ctl)
           else if (!is.null(strata)) coxph(Surv(time, event) ~ X + strata(strata), ties = ties, control = ctl)
           else coxph(Surv(time, event) ~ X, ties = ties, control = ctl)
    put(case, paste0(ties, ":coef"), coef(fit)); put(case, paste0(ties, ":se"), sqrt(diag(vcov(fit))))
    put(case, paste0(ties, ":loglik"), fit$loglik)
  }
}
cox_case("cox_bmt", bmt$time, as.integer(bmt$status > 0), as.matrix(bmt[, "dis", drop = FALSE]))
cox_case("cox_cgvhd", cgvhd$time, as.integer(cgvhd$status > 0),
         as.matrix(cgvhd[, c("age", "dx_aml", "tx_pb", "extent_l")]))
cox_case("cox_syn", syn$time, as.integer(syn$status == 1),
         cbind(syn$age, syn$score, as.integer(syn$group == 1), as.integer(syn$group == 2)))
cox_case("cox_syn_strata", syn$time, as.integer(syn$status == 1),
         cbind(syn$age, syn$score, as.integer(syn$group == 1), as.integer(syn$group == 2)),
         strata = syn$stratum)
sp <- syn[syn$time > 0, ]
cox_case("cox_syn_entry", sp$time, as.integer(sp$status == 1),
         cbind(sp$age, sp$score, as.integer(sp$group == 1), as.integer(sp$group == 2)), entry = sp$entry)
# Therneau's validation "test data 1" (survival vignette validate.Rnw)
td1 <- data.frame(time = c(1, 1, 6, 6, 8, 9), status = c(1, 0, 1, 1, 0, 1), x = c(1, 1, 1, 0, 0, 0))
cox_case("cox_td1", td1$time, td1$status, as.matrix(td1[, "x", drop = FALSE]))

fg_case <- function(case, time, status, X, failcode = 1) {
  fit <- crr(time, status, X, failcode = failcode, cencode = 0, gtol = 1e-10, maxiter = 100)
  if (!fit$converged) stop(paste("crr did not converge:", case))
  put(case, "coef", fit$coef); put(case, "se", sqrt(diag(fit$var))); put(case, "loglik", fit$loglik)
}
fg_case("fg_bmt", bmt$time, bmt$status, as.matrix(bmt[, "dis", drop = FALSE]))
fg_case("fg_cgvhd_c1", cgvhd$time, cgvhd$status, as.matrix(cgvhd[, c("age", "dx_aml", "tx_pb")]))
fg_case("fg_cgvhd_c2", cgvhd$time, cgvhd$status, as.matrix(cgvhd[, c("age", "tx_pb")]), failcode = 2)
fg_case("fg_syn", syn$time, syn$status,
        cbind(syn$age, syn$score, as.integer(syn$group == 1), as.integer(syn$group == 2)))

out <- do.call(rbind, rows)
con <- file(outf, "w")
writeLines(c(
  sprintf("# engraft.outcomes reference values; %s", R.version.string),
  sprintf("# survival %s; cmprsk %s", packageVersion("survival"), packageVersion("cmprsk")),
  sprintf("# generated %s UTC by tests/outcomes/reference/reference.R", format(Sys.time(), tz = "UTC")),
  "# data: sksurv load_bmt/load_cgvhd and tests/outcomes/_outcomes_data.synthetic (see export_data.py)"
), con)
write.csv(out, con, row.names = FALSE, quote = FALSE)
close(con)
