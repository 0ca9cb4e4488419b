# SPDX-License-Identifier: BSD-2-Clause
# qssh-bench results.csv -> Markdown list of the project's performance
# targets, each marked met / NOT met / not measured.
BEGIN { FS = "," }
NR == 1 { next }
{ val[$1 SUBSEP $2 SUBSEP $5 SUBSEP $6] = $7 }
function has(s, p, q, m) { return (s SUBSEP p SUBSEP q SUBSEP m) in val }
function g(s, p, q, m) { return val[s SUBSEP p SUBSEP q SUBSEP m] + 0 }
function line(ok, text) {
	printf "| %s | %s |\n", text, ok
}
function verdict(c) { return c ? "met" : "**NOT met**" }
END {
	gcm = "aes128-gcm@openssh.com"
	print "| target | result |"
	print "|---|---|"
	if (has("bulk", "qssh-qsshd", gcm, "mbps") && has("bulk", "ssh-sshd", gcm, "mbps")) {
		r = g("bulk", "qssh-qsshd", gcm, "mbps") / g("bulk", "ssh-sshd", gcm, "mbps")
		line(verdict(r >= 3) sprintf(" (%.2fx)", r), "qssh->qsshd >= 3x ssh->sshd, aes128-gcm")
	} else line("not measured", "qssh->qsshd >= 3x ssh->sshd, aes128-gcm")
	if (has("bulk", "qssh-qsshd", gcm, "mbps") && has("ceiling", "iperf3", "tcp-loopback", "mbps")) {
		r = g("bulk", "qssh-qsshd", gcm, "mbps") / g("ceiling", "iperf3", "tcp-loopback", "mbps")
		line(verdict(r >= 0.75) sprintf(" (%.0f%%)", r * 100), "qssh->qsshd >= 75% of iperf3, aes128-gcm")
	} else line("not measured", "qssh->qsshd >= 75% of iperf3, aes128-gcm")
	# ssh->qsshd >= 1.0x for every cipher measured
	n = 0; worst = 1e9; wc = ""
	for (k in val) {
		split(k, a, SUBSEP)
		if (a[1] == "bulk" && a[2] == "ssh-qsshd" && a[4] == "ratio_vs_openssh") {
			n++
			if (val[k] + 0 < worst) { worst = val[k] + 0; wc = a[3] }
		}
	}
	if (n > 0) line(verdict(worst >= 1.0) sprintf(" (lowest %.2fx, %s)", worst, wc), "ssh->qsshd >= 1.0x ssh->sshd, every cipher")
	else line("not measured", "ssh->qsshd >= 1.0x ssh->sshd, every cipher")
	if (has("bulk", "qssh-qsshd", gcm, "server_cpu_per_gib") && has("bulk", "ssh-sshd", gcm, "server_cpu_per_gib")) {
		q = g("bulk", "qssh-qsshd", gcm, "server_cpu_per_gib"); o = g("bulk", "ssh-sshd", gcm, "server_cpu_per_gib")
		line(verdict(q <= o / 2) sprintf(" (%.2f vs %.2f CPU-s/GiB)", q, o), "receive side (server) CPU-s/GiB <= 1/2 of OpenSSH, aes128-gcm")
	} else line("not measured", "receive side (server) CPU-s/GiB <= 1/2 of OpenSSH, aes128-gcm")
	split("sequential:4,parallel-2:2,parallel-8:2", hs, ",")
	for (i = 1; i <= 3; i++) {
		split(hs[i], b, ":")
		t = sprintf("handshakes/s qssh->qsshd >= %dx ssh->sshd, %s", b[2], b[1])
		if (has("handshake", "qssh-qsshd", b[1], "handshakes_per_s") && has("handshake", "ssh-sshd", b[1], "handshakes_per_s")) {
			r = g("handshake", "qssh-qsshd", b[1], "handshakes_per_s") / g("handshake", "ssh-sshd", b[1], "handshakes_per_s")
			line(verdict(r >= b[2]) sprintf(" (%.2fx)", r), t)
		} else line("not measured", t)
	}
	found = 0
	for (k in val) {
		split(k, a, SUBSEP)
		if (a[1] == "memory" && a[4] == "pss_per_session") { pss[a[2]] = val[k] + 0; found = 1 }
	}
	if (("qsshd" in pss) && ("sshd" in pss) && pss["sshd"] > 0)
		line(verdict(pss["qsshd"] <= pss["sshd"] / 4) sprintf(" (%d vs %d KiB)", pss["qsshd"], pss["sshd"]), "PSS per idle session <= 1/4 of OpenSSH")
	else line("not measured", "PSS per idle session <= 1/4 of OpenSSH")
}
