# SPDX-License-Identifier: BSD-2-Clause
# qssh-bench results.csv -> the plain-text table printed on stdout.
BEGIN { FS = "," }
NR == 1 { next }
{
	sec = $1; pair = $2; param = $5; metric = $6
	k = sec SUBSEP pair SUBSEP param SUBSEP metric
	val[k] = $7
	if (metric == "mbps") rounds[sec SUBSEP pair SUBSEP param] = $9
	if (sec == "bulk" && !((param) in seen_c)) { seen_c[param] = 1; cip[++nc] = param }
	if (sec == "bulk" && !((pair) in seen_bp)) { seen_bp[pair] = 1; bp[++nbp] = pair }
	if (sec == "ceiling" && !((pair SUBSEP param) in seen_ce)) {
		seen_ce[pair SUBSEP param] = 1; ce[++nce] = pair SUBSEP param
	}
	if (sec == "handshake" && !((pair) in seen_hp)) { seen_hp[pair] = 1; hp[++nhp] = pair }
	if (sec == "handshake" && !((param) in seen_hm)) { seen_hm[param] = 1; hm[++nhm] = param }
	if (sec == "memory" && !((pair) in seen_m)) { seen_m[pair] = 1; ms[++nms] = pair; mparam[pair] = param }
	workers = $10; backend = $11
}
function v(sec, pair, param, metric,   k) {
	k = sec SUBSEP pair SUBSEP param SUBSEP metric
	return (k in val) ? val[k] : "-"
}
END {
	if (nc > 0) {
		printf "\nBulk upload, file in /dev/shm -> 'cat > /dev/null' (MB/s = 10^6 B/s; CPU-s per GiB; ratio = MB/s vs ssh-sshd)\n"
		printf "%-42s %-11s %9s %6s %10s %10s %6s\n", "cipher", "pair", "MB/s", "ratio", "client", "server", "rounds"
		for (i = 1; i <= nc; i++)
			for (j = 1; j <= nbp; j++) {
				if (v("bulk", bp[j], cip[i], "mbps") == "-") continue
				printf "%-42s %-11s %9s %6s %10s %10s %6s\n", cip[i], bp[j],
				    v("bulk", bp[j], cip[i], "mbps"), v("bulk", bp[j], cip[i], "ratio_vs_openssh"),
				    v("bulk", bp[j], cip[i], "client_cpu_per_gib"),
				    v("bulk", bp[j], cip[i], "server_cpu_per_gib"), rounds["bulk" SUBSEP bp[j] SUBSEP cip[i]]
			}
	}
	if (nce > 0) {
		printf "\nCeilings\n"
		printf "%-20s %-42s %9s\n", "what", "algorithm", "MB/s"
		for (i = 1; i <= nce; i++) {
			split(ce[i], a, SUBSEP)
			printf "%-20s %-42s %9s\n", a[1], a[2], v("ceiling", a[1], a[2], "mbps")
		}
	}
	if (nhp > 0) {
		printf "\nHandshakes per second (ed25519, curve25519-sha256, 'true')\n"
		printf "%-11s", "pair"
		for (j = 1; j <= nhm; j++) printf " %12s", hm[j]
		printf "\n"
		for (i = 1; i <= nhp; i++) {
			printf "%-11s", hp[i]
			for (j = 1; j <= nhm; j++) printf " %12s", v("handshake", hp[i], hm[j], "handshakes_per_s")
			printf "\n"
		}
	}
	if (nms > 0) {
		printf "\nServer memory per idle authenticated session (ssh -N; listener + all its processes)\n"
		printf "%-10s %12s %12s %14s %14s\n", "daemon", "RSS KiB", "PSS KiB", "procs/session", "listener PSS"
		for (i = 1; i <= nms; i++)
			printf "%-10s %12s %12s %14s %14s\n", ms[i],
			    v("memory", ms[i], mparam[ms[i]], "rss_per_session"),
			    v("memory", ms[i], mparam[ms[i]], "pss_per_session"),
			    v("memory", ms[i], mparam[ms[i]], "processes_per_session"),
			    v("memory", ms[i], mparam[ms[i]], "listener_pss")
	}
	printf "\nQSSH_WORKERS=%s QSSH_CRYPTO_BACKEND=%s\n", workers, backend
}
