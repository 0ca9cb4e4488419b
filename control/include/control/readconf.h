/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ssh_config(5) parsing for the qssh client.
 *
 * Reading order is ssh(1)'s: command-line -o options first, then the
 * user's file (~/.ssh/config or only the -F file), then the system file
 * /etc/ssh/ssh_config.  The first value obtained for a keyword wins; the
 * list keywords (IdentityFile, CertificateFile, *Forward, SendEnv)
 * accumulate.  readconf_fill_defaults() then supplies OpenSSH 9.2's
 * defaults and readconf_finalize() expands the tokens the way ssh -G
 * prints them.
 *
 * Messages are OpenSSH's ("FILE line N: ..."), logged with qlog_error()
 * or, for deprecated keywords, qlog_debug().
 */
#ifndef QSSH_CONTROL_READCONF_H
#define QSSH_CONTROL_READCONF_H

#include <stdbool.h>
#include <stdio.h>

/* Flags for the readers. */
#define READCONF_USER 0x01 /* a user file: relative Include is ~/.ssh */
#define READCONF_SYSTEM 0x02 /* relative Include is /etc/ssh */
#define READCONF_NOEXEC 0x04 /* Match exec never runs (fuzzing) */
#define READCONF_FINAL 0x08 /* second pass: "Match final" is true */
#define READCONF_POSTCANON 0x10 /* host was canonicalised */
#define READCONF_CHECKPERM 0x20 /* refuse user files writable by others */

#define READCONF_MAX_IDENTITY 100
#define READCONF_MAX_HOSTFILES 32
#define READCONF_MAX_INCLUDE_DEPTH 16
/*
 * CryptoWorkers: one value per worker pool (gcm, chacha, mac: the order of
 * enum wrk_pool_id), a number or "auto"; the largest number "CryptoWorkers
 * N" gives every pool.  The values and the other crypto keywords are those
 * of sshd_config (servconf.h).
 */
#define READCONF_CRYPTO_POOLS 3 /* SERVCONF_CRYPTO_POOLS */
#define READCONF_CRYPTO_WORKERS_AUTO (-2)
#define READCONF_CRYPTO_WORKERS_MAX 21 /* WRK_WORKERS_MAX / WRK_POOL_COUNT */

/* Tri-state and multi-state values use these; -1 is always "unset". */
enum readconf_shkc {
	READCONF_SHKC_NO = 0,
	READCONF_SHKC_YES = 1,
	READCONF_SHKC_ASK = 2,
	READCONF_SHKC_ACCEPT_NEW = 3,
};
enum readconf_requesttty {
	READCONF_TTY_NO = 0,
	READCONF_TTY_YES = 1,
	READCONF_TTY_FORCE = 2,
	READCONF_TTY_AUTO = 3,
};
enum readconf_controlmaster {
	READCONF_CM_NO = 0,
	READCONF_CM_YES = 1,
	READCONF_CM_AUTO = 2,
	READCONF_CM_ASK = 3,
	READCONF_CM_AUTOASK = 4,
};
enum readconf_tunnel {
	READCONF_TUN_NO = 0,
	READCONF_TUN_POINTOPOINT = 1,
	READCONF_TUN_ETHERNET = 2,
};
#define READCONF_TUN_ANY 0x7fffffff
enum readconf_session {
	READCONF_SESSION_NONE = 0,
	READCONF_SESSION_SUBSYSTEM = 1,
	READCONF_SESSION_DEFAULT = 2,
};
enum readconf_canon {
	READCONF_CANON_NO = 0,
	READCONF_CANON_YES = 1,
	READCONF_CANON_ALWAYS = 2,
};
enum readconf_af {
	READCONF_AF_ANY = 0,
	READCONF_AF_INET = 1,
	READCONF_AF_INET6 = 2,
};
#define READCONF_ESCAPE_NONE (-2)

/* LocalForward / RemoteForward / DynamicForward. */
struct readconf_forward {
	char *listen_host; /* NULL: default bind address */
	int listen_port;
	char *listen_path; /* Unix socket instead of host/port */
	char *connect_host; /* NULL for dynamic; "socks" for remote dynamic */
	int connect_port;
	char *connect_path;
};

struct readconf_options {
	/* strings: NULL = unset */
	char *hostname, *user, *host_key_alias, *identity_agent;
	char *ciphers, *macs, *kex_algorithms, *hostkey_algorithms;
	char *pubkey_accepted_algorithms, *hostbased_accepted_algorithms;
	char *ca_sign_algorithms;
	char *preferred_authentications;
	char *proxy_command, *proxy_jump, *local_command, *remote_command;
	char *control_path, *bind_address, *bind_interface;
	char *known_hosts_command, *security_key_provider;
	char *pkcs11_provider, *revoked_host_keys, *ignore_unknown;
	char *forward_agent_sock_path, *xauth_location;
	/*
	 * qssh's own: "auto" or a crypto-offload backend name; "any" or a
	 * core list for the crypto workers; EAL options for CryptoRuntime
	 * dpdk ("none": dataplane/eal.h's default).
	 */
	char *crypto_backend, *crypto_cores, *crypto_eal_args;
	/* ints: -1 = unset */
	int port, address_family, batch_mode, check_host_ip, compression;
	int connect_timeout, connection_attempts;
	int server_alive_interval, server_alive_count_max, tcp_keep_alive;
	int strict_host_key_checking, hash_known_hosts, update_hostkeys;
	int visual_host_key, fingerprint_hash, log_level, request_tty;
	int escape_char, permit_local_command, forward_agent, forward_x11;
	int forward_x11_trusted, forward_x11_timeout;
	int identities_only, pubkey_authentication, password_authentication;
	int kbd_interactive_authentication, hostbased_authentication;
	int number_of_password_prompts;
	int add_keys_to_agent, add_keys_to_agent_lifetime;
	int control_master, control_persist, control_persist_timeout;
	int canonicalize_hostname, canonicalize_max_dots;
	int canonicalize_fallback_local;
	int exit_on_forward_failure, gateway_ports, stream_local_bind_unlink;
	int tun_open, tun_local, tun_remote, clear_forwardings;
	int no_host_authentication_for_localhost, enable_escape_commandline;
	int stdin_null, fork_after_authentication, session_type;
	int enable_ssh_keysign, proxy_use_fdpass, verify_host_key_dns;
	int required_rsa_size, obscure_keystroke_timing;
	int warn_weak_crypto; /* OpenSSH 10's WarnWeakCrypto */
	/* per pool, READCONF_CRYPTO_WORKERS_AUTO; all -1 while unset */
	int crypto_workers[READCONF_CRYPTO_POOLS];
	int crypto_runtime; /* enum servconf_crypto_runtime */
	int crypto_worker_mode; /* enum servconf_worker_mode */
	long long rekey_limit; /* bytes; -1 unset, 0 = cipher default */
	int rekey_interval;
	/* lists */
	char *identity_files[READCONF_MAX_IDENTITY];
	int identity_file_userprovided[READCONF_MAX_IDENTITY];
	unsigned int num_identity_files;
	char *certificate_files[READCONF_MAX_IDENTITY];
	unsigned int num_certificate_files;
	char *user_hostfiles[READCONF_MAX_HOSTFILES];
	unsigned int num_user_hostfiles;
	char *system_hostfiles[READCONF_MAX_HOSTFILES];
	unsigned int num_system_hostfiles;
	char **canonical_domains;
	unsigned int num_canonical_domains;
	char **send_env;
	unsigned int num_send_env;
	char **set_env;
	unsigned int num_set_env;
	struct readconf_forward *local_forwards, *remote_forwards;
	unsigned int num_local_forwards, num_remote_forwards;
	/* the dynamic forwards live in local_forwards with connect_host NULL */

	/* bookkeeping */
	bool has_match_final; /* a "Match final"/"canonical" was seen */
	bool defaults_filled;
};

/* Identity of the local side, for Match and tokens; see readconf_ctx_init. */
struct readconf_ctx {
	char *host; /* target host as it is now (after HostName) */
	char *original_host; /* as typed on the command line */
	char *local_user;
	char *home; /* the local user's home directory */
	char *thishost; /* gethostname() */
	char *shorthost; /* thishost up to the first dot */
	unsigned long uid;
	char *user_config_dir; /* usually home + "/.ssh" */
	char *system_config_dir; /* "/etc/ssh" */
	char *jump_host; /* %j */
};

/*
 * Fill ctx from getpwuid(getuid()) and gethostname(); host is the
 * destination as given (also the original host).  0 or QSSH_ERR_*.
 */
int readconf_ctx_init(struct readconf_ctx *ctx, const char *host);
void readconf_ctx_cleanup(struct readconf_ctx *ctx);
/* Replace ctx->host (after HostName or canonicalisation). */
int readconf_ctx_set_host(struct readconf_ctx *ctx, const char *host);

void readconf_init(struct readconf_options *o);
void readconf_cleanup(struct readconf_options *o);

/*
 * One configuration line (a -o option is filename "command-line", line 0).
 * *activep says whether the current Host/Match block applies; NULL means
 * always active.  QSSH_ERR_CONFIG after logging the reason.
 */
int readconf_process_line(struct readconf_options *o,
    const struct readconf_ctx *ctx, const char *line, const char *filename,
    int linenum, int *activep, int flags);

/*
 * Read a whole file (Include depth starts at 0).  A missing file gives
 * QSSH_ERR_NOT_FOUND without a message; bad lines are counted and give
 * "FILE: terminating, N bad configuration options" and QSSH_ERR_CONFIG.
 */
int readconf_read_file(struct readconf_options *o,
    const struct readconf_ctx *ctx, const char *path, int flags);
/* The same over text in memory (fuzzing, tests). */
int
readconf_read_text(struct readconf_options *o, const struct readconf_ctx *ctx,
    const char *text, size_t len, const char *name, int flags);

/* OpenSSH 9.2's defaults for everything unset; 0 or QSSH_ERR_CONFIG. */
int readconf_fill_defaults(
    struct readconf_options *o, const struct readconf_ctx *ctx);

/*
 * What ssh(1) does before using the options: HostName with %h, the
 * remote user and port, the expanded ControlPath, IdentityAgent,
 * UserKnownHostsFile, RemoteCommand and ForwardAgent path.  Updates
 * ctx->host.  Call after readconf_fill_defaults().
 */
int readconf_finalize(struct readconf_options *o, struct readconf_ctx *ctx);

/* Print the options as "ssh -G" does; host is the destination as typed. */
void readconf_dump(
    const struct readconf_options *o, const struct readconf_ctx *ctx, FILE *f);

/* Parameters of the whole ssh(1) reading sequence. */
struct readconf_load_params {
	const char *const *cmdline_opts; /* -o values, in order */
	unsigned int num_cmdline_opts;
	const char *config_file; /* -F; NULL = ~/.ssh/config + system */
	const char *system_file; /* NULL = /etc/ssh/ssh_config */
	const char *user; /* -l or from the destination; NULL if none */
	int port; /* -p or from the destination; -1 if none */
	int flags; /* READCONF_NOEXEC etc. */
};

/*
 * Everything ssh -G does: -o lines, files, canonicalisation with a
 * second pass when needed, defaults, finalisation.  ctx must have been
 * initialised with the destination host.
 */
int readconf_load(struct readconf_options *o, struct readconf_ctx *ctx,
    const struct readconf_load_params *p);

/*
 * Destination: "host", "user@host" or "ssh://[user@]host[:port]" with
 * [v6] brackets in the URI form.  *portp is -1 when none was given.
 * Strings are allocated; QSSH_ERR_INVALID_FORMAT on a bad destination.
 */
int readconf_parse_destination(
    const char *dest, char **userp, char **hostp, int *portp);

/*
 * Resolve an algorithm list with "+", "-", "^" against the defaults.
 * kind: "cipher", "mac", "kex", "key".  Allocated result or NULL on error.
 */
char *readconf_assemble_algorithms(const char *kind, const char *spec);
/* The OpenSSH 9.2 default list for kind, or NULL. */
const char *readconf_default_algorithms(const char *kind);

/*
 * Expand %-tokens (ssh_config TOKENS) using ctx and o; NULL on an
 * unknown token (logged).  keyword is used in the message.
 */
char *readconf_expand_tokens(const struct readconf_options *o,
    const struct readconf_ctx *ctx, const char *keyword, const char *s);
/* "~" and "~user" at the start of a path. */
char *readconf_tilde_expand(const struct readconf_ctx *ctx, const char *path);

struct wrk_config;
/*
 * Set the fields of wc (initialised with wrk_config_init()) that
 * CryptoWorkers, CryptoCores, CryptoWorkerMode, CryptoRuntime and
 * CryptoEALArgs decide (see servconf_crypto_fill()); wc points into o.
 * Returns the number of workers of all pools.
 */
unsigned int
readconf_wrk_config(const struct readconf_options *o, struct wrk_config *wc);

#endif
