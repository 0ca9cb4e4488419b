/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qssh: the OpenSSH-compatible client.
 *
 *   qssh [flags] destination [command [argument ...]]
 *
 * The flags and ssh_config keywords mean what they mean to ssh(1).  Exit
 * status: the remote command's, or 255 for errors of qssh itself and of
 * the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/kex.h"
#include "crypto-offload/cryp.h"
#include "dataplane/transport.h"
#include "qssh.h"

#define MAX_CMDLINE_OPTS 256

struct readconf_options qssh_opts;
struct readconf_ctx qssh_rctx;
const char *qssh_progname = "qssh";

static void
usage(void)
{
	fprintf(stderr,
	    "usage: %s [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface]\n"
	    "           [-b bind_address] [-c cipher_spec] "
	    "[-D [bind_address:]port]\n"
	    "           [-E log_file] [-e escape_char] [-F configfile] "
	    "[-I pkcs11]\n"
	    "           [-i identity_file] [-J [user@]host[:port]] "
	    "[-L address]\n"
	    "           [-l login_name] [-m mac_spec] [-O ctl_cmd] "
	    "[-o option] [-p port]\n"
	    "           [-Q query_option] [-R address] [-S ctl_path] "
	    "[-W host:port]\n"
	    "           [-w local_tun[:remote_tun]] destination "
	    "[command [argument ...]]\n",
	    qssh_progname);
	exit(QSSH_EXIT_FAILURE);
}

static void
print_list(const char *list)
{
	const char *p = list, *e;
	char name[128];

	while (*p != '\0') {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		snprintf(name, sizeof(name), "%.*s", (int)(e - p), p);
		if (!kex_is_pseudo_alg(name))
			printf("%s\n", name);
		p = *e == ',' ? e + 1 : e;
	}
}

static int
query(const char *what)
{
	const struct cryp_cipher_info *ci;
	const char *list, *p, *e;
	char name[128];

	if (strcasecmp(what, "cipher") == 0 || strcasecmp(what, "ciphers") == 0)
		print_list(kex_supported_list(KEX_PROP_ENC_C2S));
	else if (strcasecmp(what, "cipher-auth") == 0) {
		list = kex_supported_list(KEX_PROP_ENC_C2S);
		for (p = list; *p != '\0'; p = *e == ',' ? e + 1 : e) {
			if ((e = strchr(p, ',')) == NULL)
				e = p + strlen(p);
			snprintf(name, sizeof(name), "%.*s", (int)(e - p), p);
			if ((ci = cryp_cipher_by_name(name)) != NULL &&
			    ci->aead)
				printf("%s\n", name);
		}
	} else if (strcasecmp(what, "mac") == 0 ||
	    strcasecmp(what, "macs") == 0)
		print_list(kex_supported_list(KEX_PROP_MAC_C2S));
	else if (strcasecmp(what, "kex") == 0 ||
	    strcasecmp(what, "kexalgorithms") == 0)
		print_list(kex_supported_list(KEX_PROP_KEX));
	else if (strcasecmp(what, "key") == 0 ||
	    strcasecmp(what, "key-plain") == 0 ||
	    strcasecmp(what, "key-sig") == 0 || strcasecmp(what, "sig") == 0 ||
	    strcasecmp(what, "HostKeyAlgorithms") == 0 ||
	    strcasecmp(what, "PubkeyAcceptedAlgorithms") == 0)
		print_list(kex_supported_list(KEX_PROP_HOSTKEY));
	else if (strcasecmp(what, "key-cert") == 0)
		;
	else if (strcasecmp(what, "compression") == 0)
		print_list(kex_supported_list(KEX_PROP_COMP_C2S));
	else if (strcasecmp(what, "help") == 0)
		printf("cipher\ncipher-auth\ncompression\nkex\nkey\n"
		       "key-cert\nkey-plain\nkey-sig\nmac\nsig\n");
	else {
		fprintf(stderr, "%s: Unsupported query \"%s\"\n", qssh_progname,
		    what);
		return QSSH_EXIT_FAILURE;
	}
	return 0;
}

static void
not_supported(int c)
{
	fprintf(stderr, "%s: -%c: not supported yet\n", qssh_progname, c);
	exit(QSSH_EXIT_FAILURE);
}

struct cmdline {
	const char *opts[MAX_CMDLINE_OPTS];
	char *owned[MAX_CMDLINE_OPTS];
	unsigned num;
};

static void
add_opt(struct cmdline *cl, const char *keyword, const char *arg)
{
	char *s = NULL;

	if (cl->num >= MAX_CMDLINE_OPTS) {
		fprintf(stderr, "%s: too many options\n", qssh_progname);
		exit(QSSH_EXIT_FAILURE);
	}
	if (asprintf(&s,
		keyword[0] != '\0' && strpbrk(arg, " \t") != NULL ? "%s%s\"%s\""
								  : "%s%s%s",
		keyword, keyword[0] != '\0' ? " " : "", arg) < 0) {
		fprintf(stderr, "%s: out of memory\n", qssh_progname);
		exit(QSSH_EXIT_FAILURE);
	}
	cl->owned[cl->num] = s;
	cl->opts[cl->num++] = s;
}

static char *
join_words(int argc, char **argv)
{
	size_t len = 0;
	int i;
	char *s;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((s = calloc(1, len + 1)) == NULL)
		return NULL;
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static void
stdin_to_null(void)
{
	int fd;

	if ((fd = open("/dev/null", O_RDONLY)) < 0) {
		fprintf(stderr, "%s: open /dev/null: %s\n", qssh_progname,
		    strerror(errno));
		exit(QSSH_EXIT_FAILURE);
	}
	if (fd != STDIN_FILENO) {
		(void)dup2(fd, STDIN_FILENO);
		close(fd);
	}
}

static void
fork_background(void)
{
	pid_t pid;

	if ((pid = fork()) < 0) {
		qlog_error("fork: %s", strerror(errno));
		exit(QSSH_EXIT_FAILURE);
	}
	if (pid != 0)
		_exit(0);
	(void)setsid();
}

static void
at_exit_restore(void)
{
	qssh_restore_all();
}

static void
warn_unsupported_config(void)
{
	if (qssh_opts.proxy_command != NULL &&
	    strcmp(qssh_opts.proxy_command, "none") != 0) {
		fprintf(stderr, "%s: ProxyCommand: not supported yet\n",
		    qssh_progname);
		exit(QSSH_EXIT_FAILURE);
	}
	if (qssh_opts.proxy_jump != NULL &&
	    strcmp(qssh_opts.proxy_jump, "none") != 0) {
		fprintf(stderr, "%s: ProxyJump: not supported yet\n",
		    qssh_progname);
		exit(QSSH_EXIT_FAILURE);
	}
	if (qssh_opts.num_local_forwards > 0)
		qlog_error("LocalForward/DynamicForward: not supported yet, "
			   "ignored");
	if (qssh_opts.num_remote_forwards > 0)
		qlog_error("RemoteForward: not supported yet, ignored");
	if (qssh_opts.forward_agent == 1)
		qlog_error("ForwardAgent: not supported yet, ignored");
	if (qssh_opts.forward_x11 == 1)
		qlog_error("ForwardX11: not supported yet, ignored");
}

/*
 * CryptoBackend: the crypto layer reads $QSSH_CRYPTO_BACKEND when the
 * first session is created, so a configured backend is passed on that
 * way.  The environment, when set, overrides the keyword.
 */
static void
apply_crypto_backend(void)
{
	const char *env = getenv("QSSH_CRYPTO_BACKEND");
	const char *be = qssh_opts.crypto_backend;

	if (be == NULL || strcmp(be, "auto") == 0)
		return;
	if (env != NULL && *env != '\0') {
		qlog_debug("CryptoBackend %s overridden by "
			   "QSSH_CRYPTO_BACKEND=%s",
		    be, env);
		return;
	}
	if (setenv("QSSH_CRYPTO_BACKEND", be, 1) != 0)
		qlog_error("CryptoBackend: setenv: %s", strerror(errno));
}

int
main(int argc, char **argv)
{
	static const char optstr[] =
	    "+1246ab:c:e:fgi:kl:m:no:p:qstvxyAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:"
	    "TVw:W:XY";
	struct readconf_load_params lp;
	struct qssh_args args;
	struct qssh_conn cn;
	struct cmdline cl;
	const char *config_file = NULL, *log_file = NULL, *login = NULL;
	char *duser = NULL, *dhost = NULL;
	int c, i, verbose = 0, port = -1, dport = -1, status, r;
	bool quiet = false, use_syslog = false;
	char *end;
	long v;

	if (argv[0] != NULL && strrchr(argv[0], '/') != NULL)
		qssh_progname = strrchr(argv[0], '/') + 1;
	else if (argv[0] != NULL && argv[0][0] != '\0')
		qssh_progname = argv[0];
	memset(&args, 0, sizeof(args));
	memset(&cl, 0, sizeof(cl));
	memset(&cn, 0, sizeof(cn));
	cn.fd = -1;
	signal(SIGPIPE, SIG_IGN);
	qssh_log_init(qssh_progname, QSSH_LOG_INFO, QSSH_LOG_FAC_USER, true);

again:
	while ((c = getopt(argc, argv, optstr)) != -1) {
		switch (c) {
		case '1':
			fprintf(stderr,
			    "SSH protocol v.1 is no longer "
			    "supported\n");
			exit(QSSH_EXIT_FAILURE);
		case '2':
			break;
		case '4':
			add_opt(&cl, "AddressFamily", "inet");
			break;
		case '6':
			add_opt(&cl, "AddressFamily", "inet6");
			break;
		case 'a':
			add_opt(&cl, "ForwardAgent", "no");
			break;
		case 'x':
			add_opt(&cl, "ForwardX11", "no");
			break;
		case 'k':
			/* GSSAPI delegation off: nothing to disable. */
			break;
		case 'y':
			use_syslog = true;
			break;
		case 'C':
			add_opt(&cl, "Compression", "yes");
			break;
		case 'c':
			add_opt(&cl, "Ciphers", optarg);
			break;
		case 'm':
			add_opt(&cl, "MACs", optarg);
			break;
		case 'e':
			add_opt(&cl, "EscapeChar", optarg);
			break;
		case 'E':
			log_file = optarg;
			break;
		case 'F':
			config_file = optarg;
			break;
		case 'f':
			args.fork_after = true;
			args.stdin_null = true;
			break;
		case 'G':
			args.dump_config = true;
			break;
		case 'i':
			if (access(optarg, R_OK) != 0 &&
			    strchr(optarg, '%') == NULL) {
				fprintf(stderr,
				    "Warning: Identity file %s not "
				    "accessible: %s.\n",
				    optarg, strerror(errno));
				break;
			}
			add_opt(&cl, "IdentityFile", optarg);
			break;
		case 'l':
			if (login == NULL)
				login = optarg;
			break;
		case 'N':
			args.no_shell = true;
			add_opt(&cl, "SessionType", "none");
			break;
		case 'n':
			args.stdin_null = true;
			break;
		case 'o':
			add_opt(&cl, "", optarg);
			break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v <= 0 ||
			    v > 65535) {
				fprintf(stderr, "Bad port '%s'\n", optarg);
				exit(QSSH_EXIT_FAILURE);
			}
			if (port == -1)
				port = (int)v;
			break;
		case 'Q':
			exit(query(optarg));
		case 'q':
			quiet = true;
			break;
		case 's':
			args.subsystem = true;
			add_opt(&cl, "SessionType", "subsystem");
			break;
		case 'T':
			args.no_tty = true;
			add_opt(&cl, "RequestTTY", "no");
			break;
		case 't':
			args.tty_flag_count++;
			break;
		case 'V':
			fprintf(stderr, "qssh_%s, %s\n", QSSH_VERSION,
			    OpenSSL_version(OPENSSL_VERSION));
			exit(0);
		case 'v':
			verbose++;
			break;
		case 'A':
		case 'B':
		case 'b':
		case 'D':
		case 'g':
		case 'I':
		case 'J':
		case 'K':
		case 'L':
		case 'M':
		case 'O':
		case 'P':
		case 'R':
		case 'S':
		case 'W':
		case 'w':
		case 'X':
		case 'Y':
			not_supported(c);
			break;
		default:
			usage();
		}
	}
	if (args.destination == NULL && optind < argc) {
		args.destination = argv[optind++];
		if (optind < argc && argv[optind][0] == '-' &&
		    argv[optind][1] != '\0')
			goto again;
	}
	if (args.destination == NULL)
		usage();
	if (args.tty_flag_count == 1)
		add_opt(&cl, "RequestTTY", "yes");
	else if (args.tty_flag_count > 1)
		add_opt(&cl, "RequestTTY", "force");
	if (optind < argc &&
	    (args.command = join_words(argc - optind, argv + optind)) == NULL)
		exit(QSSH_EXIT_FAILURE);
	if (args.subsystem && args.command == NULL)
		usage();

	if (quiet)
		qssh_log_set_level(QSSH_LOG_QUIET);
	if (verbose > 0)
		qssh_log_set_level(verbose >= 3 ? QSSH_LOG_DEBUG3
			: verbose == 2		? QSSH_LOG_DEBUG2
						: QSSH_LOG_DEBUG1);
	if (use_syslog)
		qssh_log_init(qssh_progname, qssh_log_get_level(),
		    QSSH_LOG_FAC_USER, false);
	if (log_file != NULL && qssh_log_set_file(log_file) != 0) {
		fprintf(stderr, "Couldn't open logfile %s: %s\n", log_file,
		    strerror(errno));
		exit(QSSH_EXIT_FAILURE);
	}
	if (verbose > 0 || quiet) {
		/* -v/-q win over any LogLevel, as in ssh(1). */
		for (i = (int)cl.num; i > 0; i--) {
			cl.opts[i] = cl.opts[i - 1];
			cl.owned[i] = cl.owned[i - 1];
		}
		cl.num++;
		cl.owned[0] = NULL;
		cl.opts[0] = quiet && verbose == 0 ? "LogLevel QUIET"
		    : verbose >= 3		   ? "LogLevel DEBUG3"
		    : verbose == 2		   ? "LogLevel DEBUG2"
						   : "LogLevel DEBUG1";
	}
	if (verbose > 0)
		qlog_info("qssh_%s, %s", QSSH_VERSION,
		    OpenSSL_version(OPENSSL_VERSION));

	if ((r = readconf_parse_destination(
		 args.destination, &duser, &dhost, &dport)) != 0) {
		fprintf(stderr, "%s: invalid destination: %s\n", qssh_progname,
		    args.destination);
		exit(QSSH_EXIT_FAILURE);
	}
	if (port == -1)
		port = dport;
	readconf_init(&qssh_opts);
	if ((r = readconf_ctx_init(&qssh_rctx, dhost)) != 0) {
		fprintf(stderr, "%s: %s\n", qssh_progname, qssh_strerror(r));
		exit(QSSH_EXIT_FAILURE);
	}
	memset(&lp, 0, sizeof(lp));
	lp.cmdline_opts = cl.opts;
	lp.num_cmdline_opts = cl.num;
	lp.config_file = config_file;
	lp.user = login != NULL ? login : duser;
	lp.port = port;
	if ((r = readconf_load(&qssh_opts, &qssh_rctx, &lp)) != 0)
		exit(QSSH_EXIT_FAILURE);
	for (i = 0; i < (int)cl.num; i++)
		free(cl.owned[i]);
	if (args.dump_config) {
		readconf_dump(&qssh_opts, &qssh_rctx, stdout);
		exit(0);
	}
	apply_crypto_backend();
	if (verbose == 0 && !quiet)
		qssh_log_set_level((enum qssh_log_level)qssh_opts.log_level);
	if (qssh_opts.stdin_null == 1)
		args.stdin_null = true;
	if (qssh_opts.fork_after_authentication == 1)
		args.fork_after = true;
	if (qssh_opts.session_type == READCONF_SESSION_NONE)
		args.no_shell = true;
	if (qssh_opts.session_type == READCONF_SESSION_SUBSYSTEM)
		args.subsystem = true;
	if (args.fork_after && args.command == NULL && !args.no_shell &&
	    qssh_opts.remote_command == NULL) {
		fprintf(stderr,
		    "Cannot fork into background without a "
		    "command to execute.\n");
		exit(QSSH_EXIT_FAILURE);
	}
	warn_unsupported_config();
	atexit(at_exit_restore);
	if (args.stdin_null)
		stdin_to_null();

	cn.host = qssh_opts.hostname != NULL ? qssh_opts.hostname : dhost;
	cn.host_arg = dhost;
	cn.port = qssh_opts.port > 0 ? qssh_opts.port : 22;
	if ((r = qssh_connect(&cn)) != 0) {
		status = QSSH_EXIT_FAILURE;
		goto out;
	}
	if ((r = qssh_conn_setup(&cn)) != 0 || (r = qssh_userauth(&cn)) != 0) {
		status = r == QSSH_ERR_ACCESS ? QSSH_EXIT_FAILURE
					      : qssh_conn_fatal(&cn, r);
		goto out;
	}
	if (args.fork_after) {
		qssh_conn_detach_workers(&cn);
		fork_background();
	}
	status = qssh_session_run(&cn, &args);
out:
	qssh_conn_cleanup(&cn);
	free(args.command);
	free(duser);
	free(dhost);
	readconf_cleanup(&qssh_opts);
	readconf_ctx_cleanup(&qssh_rctx);
	qssh_restore_all();
	return status;
}
