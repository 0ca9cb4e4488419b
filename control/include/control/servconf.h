/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sshd_config(5) parser for qsshd.  Keywords, defaults, value syntax,
 * "first obtained value wins", Include, Match and the error texts follow
 * OpenSSH 9.2 so that an existing /etc/ssh/sshd_config works unchanged.
 *
 * Lifecycle: servconf_new() gives a config holding the defaults;
 * servconf_parse_line() adds command-line (-o) options, which take
 * precedence over the file whenever they were given; servconf_load_file()
 * reads the file (and its Includes).  servconf_apply_match() gives the
 * effective config for one connection.  Functions return 0 or a negative
 * QSSH_ERR_*; on QSSH_ERR_CONFIG servconf_error() holds the message lines
 * (the same text sshd -t prints, several lines separated by '\n').
 *
 * String values are stored as written; "none" is kept as the word "none"
 * (servconf_str_set() tells whether a value is in effect).
 */
#ifndef QSSH_CONTROL_SERVCONF_H
#define QSSH_CONTROL_SERVCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SERVCONF_BASEDIR "/etc/ssh"
#define SERVCONF_MAX_INCLUDE_DEPTH 16

/*
 * The crypto dataplane keywords.  qsshd's own; ssh_config has the same
 * ones (readconf.h), and both use the helpers at the end of this file.
 *
 * CryptoWorkers holds one value per worker pool, in the order of enum
 * wrk_pool_id (dataplane/workers.h), named gcm, chacha and mac in the
 * files: a number of workers or SERVCONF_CRYPTO_WORKERS_AUTO.
 */
#define SERVCONF_CRYPTO_POOLS 3 /* WRK_POOL_COUNT */
#define SERVCONF_CRYPTO_WORKERS_AUTO (-2)
/* "CryptoWorkers N" gives N to every pool, at most this. */
#define SERVCONF_CRYPTO_WORKERS_MAX 21 /* WRK_WORKERS_MAX / WRK_POOL_COUNT */
/* "CryptoWorkers gcm=N,...": the numbers given add up to at most this. */
#define SERVCONF_CRYPTO_WORKERS_TOTAL 64 /* WRK_WORKERS_MAX */
#define SERVCONF_CRYPTO_WORKERS_STRLEN 64 /* servconf_crypto_workers_format */

/* CryptoRuntime */
enum servconf_crypto_runtime {
	SERVCONF_RUNTIME_AUTO = 0, /* dpdk if the EAL is up, else threads */
	SERVCONF_RUNTIME_THREADS,
	SERVCONF_RUNTIME_DPDK,
};

/* CryptoWorkerMode */
enum servconf_worker_mode {
	SERVCONF_WMODE_AUTO = 0,
	SERVCONF_WMODE_INLINE,
	SERVCONF_WMODE_OFFLOAD,
};

/* ChannelWindow, ChannelWindowMax (bytes). */
#define SERVCONF_CHANNEL_WINDOW_MIN (64 * 1024)
#define SERVCONF_CHANNEL_WINDOW_MAX (64 * 1024 * 1024) /* FP_WINDOW_MAX */
#define SERVCONF_CHANNEL_WINDOW_DEFAULT (16 * 1024 * 1024)

enum servconf_family {
	SERVCONF_AF_ANY = 0,
	SERVCONF_AF_INET,
	SERVCONF_AF_INET6,
};

enum servconf_permit_root {
	SERVCONF_ROOT_NO = 0,
	SERVCONF_ROOT_FORCED_ONLY,
	SERVCONF_ROOT_NO_PASSWORD, /* prohibit-password, without-password */
	SERVCONF_ROOT_YES,
};

/* AllowTcpForwarding / AllowStreamLocalForwarding */
enum servconf_fwd {
	SERVCONF_FWD_NO = 0,
	SERVCONF_FWD_REMOTE = 1,
	SERVCONF_FWD_LOCAL = 2,
	SERVCONF_FWD_YES = 3,
};

enum servconf_gwports {
	SERVCONF_GW_NO = 0,
	SERVCONF_GW_YES,
	SERVCONF_GW_CLIENTSPECIFIED,
};

enum servconf_tunnel {
	SERVCONF_TUN_NO = 0,
	SERVCONF_TUN_POINTOPOINT = 1,
	SERVCONF_TUN_ETHERNET = 2,
	SERVCONF_TUN_YES = 3,
};

enum servconf_alg_class {
	SERVCONF_ALG_KEX = 0,
	SERVCONF_ALG_CIPHER,
	SERVCONF_ALG_MAC,
	SERVCONF_ALG_SIG, /* host key / pubkey / hostbased algorithms */
	SERVCONF_ALG_CASIG,
};

struct servconf_strlist {
	char **v;
	size_t n;
};

struct servconf_listen {
	char *host; /* without brackets */
	int port; /* 0: one entry per Port */
	char *rdomain; /* NULL if none */
};

struct servconf_subsystem {
	char *name;
	char *command; /* command and its arguments, space separated */
};

/*
 * Values.  Integers/flags are -1 while unset (only visible inside the
 * parser: after loading every field holds its default or value).
 */
struct servconf {
	/* global-only */
	int *ports;
	size_t num_ports;
	struct servconf_listen *listen;
	size_t num_listen;
	int address_family; /* enum servconf_family */
	struct servconf_strlist host_keys;
	struct servconf_strlist host_certs;
	char *host_key_algorithms; /* raw spec; resolved in dump */
	char *kex_algorithms;
	char *ciphers;
	char *macs;
	int compression; /* bool */
	int login_grace_time; /* seconds */
	int max_startups_begin;
	int max_startups_rate;
	int max_startups;
	int per_source_max_startups; /* 0 = none */
	int per_source_masklen_ipv4;
	int per_source_masklen_ipv6;
	int use_pam;
	int print_motd;
	int print_lastlog;
	int permit_user_env; /* bool; see permit_user_env_allowlist */
	char *permit_user_env_allowlist;
	struct servconf_subsystem *subsystems;
	size_t num_subsystems;
	int tcp_keep_alive;
	int use_dns;
	int strict_modes;
	int syslog_facility; /* enum qssh_log_facility */
	char *pid_file;
	char *version_addendum;
	int ignore_user_known_hosts;
	char *moduli_file;
	char *xauth_location;
	/*
	 * qsshd's own keywords (not in OpenSSH).  crypto_backend: "auto" or a
	 * backend name of crypto-offload/cryp.h; crypto_workers: workers per
	 * algorithm pool (all -1 while unset), SERVCONF_CRYPTO_WORKERS_AUTO
	 * for the engine's default; crypto_cores: "any" or a core list ("0-1",
	 * "1,2"); crypto_eal_args: EAL options separated by blanks, NULL or
	 * "none" for DP_EAL_DEFAULT_ARGS (dataplane/eal.h); channel_window
	 * and channel_window_max: bytes (the window is at most the maximum).
	 */
	char *crypto_backend;
	int crypto_workers[SERVCONF_CRYPTO_POOLS];
	char *crypto_cores;
	int crypto_runtime; /* enum servconf_crypto_runtime */
	char *crypto_eal_args;
	int crypto_worker_mode; /* enum servconf_worker_mode */
	int channel_window;
	int channel_window_max;

	/* allowed in Match blocks */
	int64_t rekey_limit; /* bytes, 0 = default */
	int rekey_interval; /* seconds, 0 = none */
	int max_authtries;
	int max_sessions;
	int permit_root_login; /* enum servconf_permit_root */
	int pubkey_authentication;
	char *pubkey_accepted_algorithms;
	char *hostbased_accepted_algorithms;
	char *ca_sign_algorithms;
	struct servconf_strlist authorized_keys_files;
	char *authorized_keys_command;
	char *authorized_keys_command_user;
	char *authorized_principals_file;
	char *authorized_principals_command;
	char *authorized_principals_command_user;
	char *trusted_user_ca_keys;
	char *revoked_keys;
	int password_authentication;
	int kbd_interactive_authentication;
	int permit_empty_passwd;
	struct servconf_strlist auth_methods;
	struct servconf_strlist allow_users;
	struct servconf_strlist deny_users;
	struct servconf_strlist allow_groups;
	struct servconf_strlist deny_groups;
	char *banner;
	struct servconf_strlist accept_env;
	struct servconf_strlist set_env;
	char *force_command;
	char *chroot_directory;
	int permit_tty;
	int permit_user_rc;
	int client_alive_interval; /* seconds */
	int client_alive_count_max;
	int log_level; /* enum qssh_log_level */
	int x11_forwarding;
	int x11_display_offset;
	int x11_use_localhost;
	int allow_tcp_forwarding; /* enum servconf_fwd */
	int allow_streamlocal_forwarding;
	int allow_agent_forwarding;
	int disable_forwarding;
	int gateway_ports; /* enum servconf_gwports */
	struct servconf_strlist permit_open; /* "any" by default */
	struct servconf_strlist permit_listen;
	int permit_tunnel; /* enum servconf_tunnel */
	int ignore_rhosts;
	int hostbased_authentication;
	int hostbased_uses_name_from_packet_only;
	int expose_auth_info;
	int required_rsa_size;

	/* parser state, private */
	struct servconf_priv *priv;
};

/* Connection attributes for Match. */
struct servconf_conn {
	const char *user;
	const char *host; /* resolved name (or address without UseDNS) */
	const char *addr;
	const char *laddr;
	int lport; /* -1 if unknown */
	const char *rdomain;
	/*
	 * The user's group names for Match Group.  When groups is NULL the
	 * groups are looked up with getpwnam(3)/getgrouplist(3).
	 */
	const char *const *groups;
	size_t num_groups;
};

struct servconf *servconf_new(void);
void servconf_free(struct servconf *cfg);

/* Message lines of the last QSSH_ERR_CONFIG (or ""); never NULL. */
const char *servconf_error(const struct servconf *cfg);

/*
 * One "Keyword value" or "Keyword=value" line, e.g. from sshd -o with
 * filename "command-line" and linenum 0.  It takes precedence over the
 * configuration file whether it was given before or after loading it.
 */
int servconf_parse_line(
    struct servconf *cfg, const char *line, const char *filename, int linenum);

/*
 * Read a configuration file; relative Include paths are taken relative to
 * basedir (NULL: SERVCONF_BASEDIR).  A file or glob that matches nothing
 * is skipped, as sshd does.
 */
int
servconf_load_file(struct servconf *cfg, const char *path, const char *basedir);
/* Same with the text in memory; Include lines are skipped when !allow_include. */
int servconf_load_string(struct servconf *cfg, const char *text,
    const char *filename, const char *basedir, bool allow_include);

/*
 * Effective configuration for one connection: the global values overlaid
 * with those of the Match blocks that match ci (the first matching block
 * to set a keyword wins).  *out is a new config owned by the caller.
 */
int servconf_apply_match(const struct servconf *cfg,
    const struct servconf_conn *ci, struct servconf **out);

/* Print "keyword value" lines like sshd -T. */
int servconf_dump(const struct servconf *cfg, FILE *out);

/* Whether a string option is in effect (neither NULL nor "none"). */
bool servconf_str_set(const char *s);

/*
 * Resolve an algorithm spec ("a,b", "+a", "-a*", "^a", NULL = default)
 * against the default list of its class into *out (malloc'd).
 * QSSH_ERR_CONFIG for an unknown name or an empty result.  Names that are
 * accepted for compatibility but not implemented (umac-*) are dropped.
 */
int servconf_algs_resolve(
    enum servconf_alg_class cls, const char *spec, char **out);
/*
 * Syntax check of a spec as sshd does when reading it: every name after an
 * optional "+" or "^" must be known (a "-" list may hold patterns).  On
 * failure *bad and *badlen point at the offending name (or the whole spec).
 */
bool servconf_algs_spec_valid(enum servconf_alg_class cls, const char *spec,
    const char **bad, size_t *badlen);
/* The default list of a class (static string). */
const char *servconf_algs_default(enum servconf_alg_class cls);

/*
 * Expand %h (home), %u (user), %U (uid) and %% in in; an unknown token
 * gives QSSH_ERR_INVALID_FORMAT.
 */
int servconf_expand_tokens(const char *in, const char *home, const char *user,
    unsigned int uid, char **out);
/* Same, and a relative result is taken relative to home. */
int servconf_expand_authorized_path(const char *in, const char *home,
    const char *user, unsigned int uid, char **out);

/* "any" for an empty list, otherwise the conversions of OpenSSH's parser. */
int servconf_parse_time(const char *s, int *out);

/* ---- crypto dataplane keywords (servconf_crypto.c) ---- */

/*
 * A CryptoWorkers value: "auto"; N from 0 to SERVCONF_CRYPTO_WORKERS_MAX
 * for every pool; or per pool "gcm=N,chacha=N,mac=N", where any pool may
 * be left out or given "auto" (pools left out are auto) and the numbers
 * add up to at most SERVCONF_CRYPTO_WORKERS_TOTAL.  0, or QSSH_ERR_CONFIG
 * with *why set to the reason for the message (a static string).
 */
int servconf_crypto_workers_parse(
    const char *s, int workers[SERVCONF_CRYPTO_POOLS], const char **why);
/*
 * The form -T and -G print: "auto" or "N" when every pool has the same
 * value, else "gcm=N,chacha=N,mac=N" (with "auto" for N where it applies).
 * SERVCONF_CRYPTO_WORKERS_STRLEN bytes hold any of them.
 */
void servconf_crypto_workers_format(
    const int workers[SERVCONF_CRYPTO_POOLS], char *buf, size_t size);
/*
 * A CryptoEALArgs value (blank-separated EAL options, or "none"): NULL when
 * it can be given to dp_eal_start(), else the reason it cannot.
 */
const char *servconf_crypto_eal_args_check(const char *s);

struct wrk_config;
/*
 * Set the fields of wc (initialised with wrk_config_init()) that the
 * crypto keywords decide: workers per pool (pools left to auto keep wc's
 * default, lowered so that all pools fit in WRK_WORKERS_MAX), cores, mode,
 * runtime and EAL arguments.  workers, mode and runtime hold parsed
 * values; cores and eal_args the strings as stored (NULL = default), and
 * wc points into them.  Returns the number of workers of all pools.
 */
unsigned int servconf_crypto_fill(struct wrk_config *wc,
    const int workers[SERVCONF_CRYPTO_POOLS], const char *cores, int mode,
    int runtime, const char *eal_args);
/* The same with the values of cfg. */
unsigned int
servconf_wrk_config(const struct servconf *cfg, struct wrk_config *wc);

#endif
