/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * "ssh -G" output: the evaluated configuration, one lowercase keyword per
 * line in OpenSSH 9.2's order and spelling, list keywords repeated.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "control/readconf.h"
#include "control/servconf.h"

static const char *
yesno(int v)
{
	return v == 1 ? "yes" : "no";
}

static const char *
loglevel_name(int v)
{
	switch (v) {
	case QSSH_LOG_QUIET:
		return "QUIET";
	case QSSH_LOG_FATAL:
		return "FATAL";
	case QSSH_LOG_ERROR:
		return "ERROR";
	case QSSH_LOG_INFO:
		return "INFO";
	case QSSH_LOG_VERBOSE:
		return "VERBOSE";
	case QSSH_LOG_DEBUG1:
		return "DEBUG";
	case QSSH_LOG_DEBUG2:
		return "DEBUG2";
	case QSSH_LOG_DEBUG3:
		return "DEBUG3";
	default:
		return "UNKNOWN";
	}
}

static void
str_line(FILE *f, const char *kw, const char *v)
{
	if (v != NULL)
		fprintf(f, "%s %s\n", kw, v);
}

static void
fwd_listen(FILE *f, const struct readconf_forward *fw)
{
	if (fw->listen_path != NULL)
		fputs(fw->listen_path, f);
	else if (fw->listen_host == NULL)
		fprintf(f, "%d", fw->listen_port);
	else
		fprintf(f, "[%s]:%d", fw->listen_host, fw->listen_port);
}

static void
fwd_connect(FILE *f, const struct readconf_forward *fw)
{
	if (fw->connect_path != NULL)
		fputs(fw->connect_path, f);
	else
		fprintf(f, "[%s]:%d",
		    fw->connect_host != NULL ? fw->connect_host : "",
		    fw->connect_port);
}

static void
dump_forwards(FILE *f, const struct readconf_options *o)
{
	unsigned int i;

	for (i = 0; i < o->num_local_forwards; i++) {
		const struct readconf_forward *fw = &o->local_forwards[i];

		if (fw->connect_host != NULL || fw->connect_path != NULL)
			continue;
		fputs("dynamicforward ", f);
		fwd_listen(f, fw);
		fputc('\n', f);
	}
	for (i = 0; i < o->num_local_forwards; i++) {
		const struct readconf_forward *fw = &o->local_forwards[i];

		if (fw->connect_host == NULL && fw->connect_path == NULL)
			continue;
		fputs("localforward ", f);
		fwd_listen(f, fw);
		fputc(' ', f);
		fwd_connect(f, fw);
		fputc('\n', f);
	}
	for (i = 0; i < o->num_remote_forwards; i++) {
		const struct readconf_forward *fw = &o->remote_forwards[i];

		fputs("remoteforward ", f);
		fwd_listen(f, fw);
		fputc(' ', f);
		fwd_connect(f, fw);
		fputc('\n', f);
	}
}

static void
dump_escape(FILE *f, int c)
{
	fputs("escapechar ", f);
	if (c == READCONF_ESCAPE_NONE) {
		fputs("none\n", f);
		return;
	}
	if (c >= 128) {
		fputs("\\M", f);
		c &= 127;
		if (c >= 32 && c < 127) {
			fprintf(f, "-%c\n", c);
			return;
		}
	}
	if (c == 127)
		fputs("\\^?", f);
	else if (c < 32)
		fprintf(f, "\\^%c", c + 64);
	else if (c == '\\')
		fputs("\\\\", f);
	else
		fputc(c, f);
	fputc('\n', f);
}

static void
dump_tun(FILE *f, int v)
{
	if (v == READCONF_TUN_ANY)
		fputs("any", f);
	else
		fprintf(f, "%d", v);
}

static void
dump_list(FILE *f, const char *kw, char *const *v, unsigned int n)
{
	unsigned int i;

	if (n == 0)
		return;
	fputs(kw, f);
	for (i = 0; i < n; i++)
		fprintf(f, " %s", v[i]);
	fputc('\n', f);
}

void
readconf_dump(
    const struct readconf_options *o, const struct readconf_ctx *ctx, FILE *f)
{
	static const char *const shkc[] = { "false", "true", "ask",
		"accept-new" };
	static const char *const tty[] = { "false", "true", "force", "auto" };
	static const char *const cm[] = { "false", "true", "auto", "ask",
		"autoask" };
	static const char *const tun[] = { "false", "point-to-point",
		"ethernet" };
	static const char *const canon[] = { "false", "true", "always" };
	static const char *const pubkey[] = { "false", "unbound", "host-bound",
		"true" };
	static const char *const uhk[] = { "false", "true", "ask" };
	static const char *const af[] = { "any", "inet", "inet6" };
	static const char *const session[] = { "none", "subsystem", "default" };
	static const char *const akta[] = { "false", "true", "ask", "confirm" };
	/* enum servconf_crypto_runtime, enum servconf_worker_mode */
	static const char *const runtime[] = { "auto", "threads", "dpdk" };
	static const char *const wmode[] = { "auto", "inline", "offload" };
	char wbuf[SERVCONF_CRYPTO_WORKERS_STRLEN];
	unsigned int i;

#define PICK(tab, v)                                                      \
	(((v) >= 0 && (unsigned int)(v) < sizeof(tab) / sizeof((tab)[0])) \
		? (tab)[(v)]                                              \
		: "UNKNOWN")

	fprintf(f, "host %s\n", ctx->original_host);
	str_line(f, "user", o->user);
	str_line(f, "hostname", o->hostname);
	fprintf(f, "port %d\n", o->port);
	fprintf(f, "addressfamily %s\n", PICK(af, o->address_family));
	fprintf(f, "batchmode %s\n", yesno(o->batch_mode));
	fprintf(f, "canonicalizefallbacklocal %s\n",
	    yesno(o->canonicalize_fallback_local));
	fprintf(f, "canonicalizehostname %s\n",
	    PICK(canon, o->canonicalize_hostname));
	fprintf(f, "checkhostip %s\n", yesno(o->check_host_ip));
	fprintf(f, "compression %s\n", yesno(o->compression));
	fprintf(f, "controlmaster %s\n", PICK(cm, o->control_master));
	fprintf(f, "enablesshkeysign %s\n", yesno(o->enable_ssh_keysign));
	fprintf(f, "clearallforwardings %s\n", yesno(o->clear_forwardings));
	fprintf(
	    f, "exitonforwardfailure %s\n", yesno(o->exit_on_forward_failure));
	fprintf(f, "fingerprinthash %s\n",
	    o->fingerprint_hash == 0 ? "MD5" : "SHA256");
	fprintf(f, "forwardx11 %s\n", yesno(o->forward_x11));
	fprintf(f, "forwardx11trusted %s\n", yesno(o->forward_x11_trusted));
	fprintf(f, "gatewayports %s\n", yesno(o->gateway_ports));
	fprintf(f, "hashknownhosts %s\n", yesno(o->hash_known_hosts));
	fprintf(f, "hostbasedauthentication %s\n",
	    yesno(o->hostbased_authentication));
	fprintf(f, "identitiesonly %s\n", yesno(o->identities_only));
	fprintf(f, "kbdinteractiveauthentication %s\n",
	    yesno(o->kbd_interactive_authentication));
	fprintf(f, "nohostauthenticationforlocalhost %s\n",
	    yesno(o->no_host_authentication_for_localhost));
	fprintf(f, "passwordauthentication %s\n",
	    yesno(o->password_authentication));
	fprintf(f, "permitlocalcommand %s\n", yesno(o->permit_local_command));
	fprintf(f, "proxyusefdpass %s\n", yesno(o->proxy_use_fdpass));
	fprintf(f, "pubkeyauthentication %s\n",
	    PICK(pubkey, o->pubkey_authentication));
	fprintf(f, "requesttty %s\n", PICK(tty, o->request_tty));
	fprintf(f, "sessiontype %s\n", PICK(session, o->session_type));
	fprintf(f, "stdinnull %s\n", yesno(o->stdin_null));
	fprintf(f, "forkafterauthentication %s\n",
	    yesno(o->fork_after_authentication));
	fprintf(f, "streamlocalbindunlink %s\n",
	    yesno(o->stream_local_bind_unlink));
	fprintf(f, "stricthostkeychecking %s\n",
	    PICK(shkc, o->strict_host_key_checking));
	fprintf(f, "tcpkeepalive %s\n", yesno(o->tcp_keep_alive));
	fprintf(f, "tunnel %s\n", PICK(tun, o->tun_open));
	fprintf(f, "verifyhostkeydns %s\n", PICK(uhk, o->verify_host_key_dns));
	fprintf(f, "visualhostkey %s\n", yesno(o->visual_host_key));
	fprintf(f, "warnweakcrypto %s\n", yesno(o->warn_weak_crypto));
	fprintf(f, "updatehostkeys %s\n", PICK(uhk, o->update_hostkeys));
	fprintf(f, "enableescapecommandline %s\n",
	    yesno(o->enable_escape_commandline));
	fprintf(f, "canonicalizemaxdots %d\n", o->canonicalize_max_dots);
	fprintf(f, "connectionattempts %d\n", o->connection_attempts);
	fprintf(f, "forwardx11timeout %d\n", o->forward_x11_timeout);
	fprintf(
	    f, "numberofpasswordprompts %d\n", o->number_of_password_prompts);
	fprintf(f, "serveralivecountmax %d\n", o->server_alive_count_max);
	fprintf(f, "serveraliveinterval %d\n", o->server_alive_interval);
	fprintf(f, "requiredrsasize %d\n", o->required_rsa_size);
	str_line(f, "bindaddress", o->bind_address);
	str_line(f, "bindinterface", o->bind_interface);
	str_line(f, "ciphers", o->ciphers);
	str_line(f, "controlpath", o->control_path);
	str_line(f, "hostkeyalgorithms", o->hostkey_algorithms);
	str_line(f, "hostkeyalias", o->host_key_alias);
	str_line(
	    f, "hostbasedacceptedalgorithms", o->hostbased_accepted_algorithms);
	str_line(f, "identityagent", o->identity_agent);
	str_line(f, "ignoreunknown", o->ignore_unknown);
	str_line(f, "kexalgorithms", o->kex_algorithms);
	str_line(f, "casignaturealgorithms", o->ca_sign_algorithms);
	str_line(f, "localcommand", o->local_command);
	str_line(f, "remotecommand", o->remote_command);
	fprintf(f, "loglevel %s\n", loglevel_name(o->log_level));
	str_line(f, "macs", o->macs);
	str_line(f, "pkcs11provider", o->pkcs11_provider);
	str_line(f, "securitykeyprovider", o->security_key_provider);
	str_line(f, "preferredauthentications", o->preferred_authentications);
	str_line(f, "pubkeyacceptedalgorithms", o->pubkey_accepted_algorithms);
	str_line(f, "revokedhostkeys", o->revoked_host_keys);
	str_line(f, "xauthlocation", o->xauth_location);
	str_line(f, "cryptobackend", o->crypto_backend);
	servconf_crypto_workers_format(o->crypto_workers, wbuf, sizeof(wbuf));
	str_line(f, "cryptoworkers", wbuf);
	str_line(f, "cryptocores", o->crypto_cores);
	fprintf(f, "cryptoruntime %s\n", PICK(runtime, o->crypto_runtime));
	str_line(f, "cryptoealargs", o->crypto_eal_args);
	fprintf(f, "cryptoworkermode %s\n", PICK(wmode, o->crypto_worker_mode));
	str_line(f, "knownhostscommand", o->known_hosts_command);
	dump_forwards(f, o);
	for (i = 0; i < o->num_identity_files; i++)
		fprintf(f, "identityfile %s\n", o->identity_files[i]);
	if (o->num_canonical_domains == 0)
		fputs("canonicaldomains none\n", f);
	else
		dump_list(f, "canonicaldomains", o->canonical_domains,
		    o->num_canonical_domains);
	for (i = 0; i < o->num_certificate_files; i++)
		fprintf(f, "certificatefile %s\n", o->certificate_files[i]);
	dump_list(f, "globalknownhostsfile", o->system_hostfiles,
	    o->num_system_hostfiles);
	dump_list(
	    f, "userknownhostsfile", o->user_hostfiles, o->num_user_hostfiles);
	for (i = 0; i < o->num_send_env; i++)
		fprintf(f, "sendenv %s\n", o->send_env[i]);
	for (i = 0; i < o->num_set_env; i++)
		fprintf(f, "setenv %s\n", o->set_env[i]);
	if (o->add_keys_to_agent_lifetime > 0) {
		if (o->add_keys_to_agent == 1)
			fprintf(f, "addkeystoagent %d\n",
			    o->add_keys_to_agent_lifetime);
		else
			fprintf(f, "addkeystoagent %s %d\n",
			    PICK(akta, o->add_keys_to_agent),
			    o->add_keys_to_agent_lifetime);
	} else
		fprintf(
		    f, "addkeystoagent %s\n", PICK(akta, o->add_keys_to_agent));
	if (o->forward_agent_sock_path != NULL)
		fprintf(f, "forwardagent %s\n", o->forward_agent_sock_path);
	else
		fprintf(f, "forwardagent %s\n", yesno(o->forward_agent));
	if (o->connect_timeout < 0)
		fputs("connecttimeout none\n", f);
	else
		fprintf(f, "connecttimeout %d\n", o->connect_timeout);
	fputs("tunneldevice ", f);
	dump_tun(f, o->tun_local);
	fputc(':', f);
	dump_tun(f, o->tun_remote);
	fputc('\n', f);
	if (o->control_persist == 0)
		fputs("controlpersist no\n", f);
	else if (o->control_persist_timeout == 0)
		fputs("controlpersist yes\n", f);
	else
		fprintf(f, "controlpersist %d\n", o->control_persist_timeout);
	dump_escape(f, o->escape_char);
	fprintf(f, "rekeylimit %lld %d\n", o->rekey_limit, o->rekey_interval);
	if (o->proxy_command != NULL)
		fprintf(f, "proxycommand %s\n", o->proxy_command);
	if (o->proxy_jump != NULL)
		fprintf(f, "proxyjump %s\n", o->proxy_jump);
#undef PICK
}
