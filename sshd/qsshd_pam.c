/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Password checks for the monitor: PAM service "sshd" (auth and account
 * stacks) with UsePAM yes, shadow(5) and crypt(3) otherwise; and the PAM
 * session of a logged-in user.
 */
#include <crypt.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "qsshd.h"

struct qsshd_pam {
	pam_handle_t *h;
	const char *password; /* during pam_authenticate only */
	struct monitor_kbdint *kq; /* keyboard-interactive conversation */
	char info[1024]; /* PAM messages waiting for the next prompts */
	bool session_open;
	bool use_pam;
	bool account_checked; /* by a keyboard-interactive success */
};

static void
info_append(struct qsshd_pam *p, const char *msg)
{
	size_t len = strlen(p->info);

	if (msg == NULL)
		return;
	snprintf(p->info + len, sizeof(p->info) - len, "%s\n", msg);
}

/* The conversation relayed to the client (RFC 4256 rounds). */
static int
pam_conv_kbdint(struct qsshd_pam *p, int n, const struct pam_message **msg,
    struct pam_response *r)
{
	const char *prompts[MONITOR_KBDINT_PROMPTS_MAX];
	bool echo[MONITOR_KBDINT_PROMPTS_MAX];
	int idx[MONITOR_KBDINT_PROMPTS_MAX];
	char **answers = NULL;
	uint32_t np = 0, j;
	int i;

	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			if (np == MONITOR_KBDINT_PROMPTS_MAX)
				return PAM_CONV_ERR;
			prompts[np] = msg[i]->msg == NULL ? "" : msg[i]->msg;
			echo[np] = msg[i]->msg_style == PAM_PROMPT_ECHO_ON;
			idx[np++] = i;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			info_append(p, msg[i]->msg);
			break;
		default:
			return PAM_CONV_ERR;
		}
	}
	/* Messages alone wait for the next round with prompts. */
	if (np == 0)
		return PAM_SUCCESS;
	if (monitor_kbdint_query(
		p->kq, "", p->info, np, prompts, echo, &answers) != 0)
		return PAM_CONV_ERR;
	p->info[0] = '\0';
	for (j = 0; j < np; j++) {
		r[idx[j]].resp = answers[j];
		answers[j] = NULL;
	}
	monitor_kbdint_answers_free(answers, np);
	return PAM_SUCCESS;
}

static int
pam_conv_fn(int n, const struct pam_message **msg, struct pam_response **resp,
    void *appdata)
{
	struct qsshd_pam *p = appdata;
	struct pam_response *r;
	int i;

	if (n <= 0 || n > 32)
		return PAM_CONV_ERR;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	if (p->kq != NULL) {
		if (pam_conv_kbdint(p, n, msg, r) != PAM_SUCCESS)
			goto fail;
		*resp = r;
		return PAM_SUCCESS;
	}
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			if (p->password == NULL)
				goto fail;
			if ((r[i].resp = strdup(p->password)) == NULL)
				goto fail;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			qlog_debug("PAM: %s", msg[i]->msg);
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++)
		qssh_wipe_free_str(r[i].resp);
	free(r);
	return PAM_CONV_ERR;
}

static int
pam_begin(struct qsshd_pam **pamp, const char *user, const char *rhost)
{
	struct qsshd_pam *p = *pamp;
	struct pam_conv conv;
	int e;

	if (p != NULL && p->h != NULL)
		return 0;
	if (p == NULL && (p = calloc(1, sizeof(*p))) == NULL)
		return QSSH_ERR_ALLOC;
	*pamp = p;
	p->use_pam = true;
	conv.conv = pam_conv_fn;
	conv.appdata_ptr = p;
	if ((e = pam_start("sshd", user, &conv, &p->h)) != PAM_SUCCESS) {
		qlog_error("PAM: initialisation failed");
		p->h = NULL;
		return QSSH_ERR_SYSTEM;
	}
	(void)pam_set_item(p->h, PAM_RHOST, rhost);
	(void)pam_set_item(p->h, PAM_RUSER, user);
	(void)pam_set_item(p->h, PAM_TTY, "ssh");
	return 0;
}

/*
 * The setting (method and cost) of a real hash for users that do not
 * exist, so that checking their password costs what a real check costs:
 * root's hash when it is one, else a fresh yescrypt setting.
 */
static const char *
fake_setting(char *buf, size_t len)
{
	struct spwd *sp = getspnam("root");

	if (sp != NULL && sp->sp_pwdp != NULL && sp->sp_pwdp[0] == '$' &&
	    strlen(sp->sp_pwdp) < len) {
		memcpy(buf, sp->sp_pwdp, strlen(sp->sp_pwdp) + 1);
		return buf;
	}
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, buf, (int)len) != NULL)
		return buf;
	return "$6$qsshsalt$invalidinvalidinvalidinvalidinvalid";
}

static int
shadow_check(const char *user, bool valid, const char *password)
{
	struct spwd *sp = NULL;
	const char *hash;
	struct crypt_data *cd = NULL;
	const char *out;
	char fake[CRYPT_OUTPUT_SIZE];
	int r = QSSH_ERR_ACCESS;

	hash = fake_setting(fake, sizeof(fake));
	if (valid && (sp = getspnam(user)) != NULL && sp->sp_pwdp != NULL)
		hash = sp->sp_pwdp;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return QSSH_ERR_ALLOC;
	out = crypt_r(password, hash, cd);
	if (valid && sp != NULL && out != NULL && out[0] != '*' &&
	    strlen(out) == strlen(hash) && strlen(hash) > 0 &&
	    qssh_ct_eq(out, hash, strlen(hash)))
		r = 0;
	qssh_wipe(cd, sizeof(*cd));
	qssh_wipe(fake, sizeof(fake));
	free(cd);
	return r;
}

int
qsshd_pam_password(struct qsshd_pam **pamp, const struct servconf *cfg,
    const char *user, bool valid, const char *rhost, const char *password)
{
	struct qsshd_pam *p;
	int e, r;

	if (!cfg->use_pam)
		return shadow_check(user, valid, password);
	if ((r = pam_begin(pamp, user, rhost)) != 0)
		return r;
	p = *pamp;
	p->password = password;
	e = pam_authenticate(
	    p->h, cfg->permit_empty_passwd ? 0 : PAM_DISALLOW_NULL_AUTHTOK);
	p->password = NULL;
	if (e != PAM_SUCCESS) {
		qlog_debug("PAM: authentication failed for %s: %s", user,
		    pam_strerror(p->h, e));
		return QSSH_ERR_ACCESS;
	}
	if ((e = pam_acct_mgmt(p->h, 0)) != PAM_SUCCESS) {
		qlog_error("PAM: account check for %s failed: %s", user,
		    pam_strerror(p->h, e));
		return QSSH_ERR_ACCESS;
	}
	return 0;
}

int
qsshd_pam_kbdint(struct qsshd_pam **pamp, const struct servconf *cfg,
    const char *user, bool allowed, const char *rhost, struct monitor_kbdint *q)
{
	struct qsshd_pam *p;
	int e, r;

	if ((r = pam_begin(pamp, user, rhost)) != 0)
		return r;
	p = *pamp;
	p->kq = q;
	p->info[0] = '\0';
	e = pam_authenticate(
	    p->h, cfg->permit_empty_passwd ? 0 : PAM_DISALLOW_NULL_AUTHTOK);
	if (e != PAM_SUCCESS) {
		qlog_debug("PAM: authentication failed for %s: %s", user,
		    pam_strerror(p->h, e));
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	e = pam_acct_mgmt(p->h, 0);
	if (e == PAM_NEW_AUTHTOK_REQD && !allowed) {
		/* Not for users the policy refuses anyway (root, DenyUsers). */
		r = QSSH_ERR_ACCESS;
		goto out;
	}
	if (e == PAM_NEW_AUTHTOK_REQD) {
		/* An expired password is changed in the same conversation. */
		qlog_debug("PAM: password for %s expired, changing it", user);
		e = pam_chauthtok(p->h, PAM_CHANGE_EXPIRED_AUTHTOK);
		if (e != PAM_SUCCESS) {
			qlog_error(
			    "PAM: pam_chauthtok(): %s", pam_strerror(p->h, e));
			r = QSSH_ERR_ACCESS;
			goto out;
		}
		p->account_checked = true;
	} else if (e != PAM_SUCCESS) {
		qlog_error("PAM: account check for %s failed: %s", user,
		    pam_strerror(p->h, e));
		r = QSSH_ERR_ACCESS;
		goto out;
	} else
		p->account_checked = true;
	r = 0;
out:
	p->kq = NULL;
	return r;
}

int
qsshd_pam_open_session(struct qsshd_pam *p, const char *tty)
{
	int e;

	if (p == NULL || p->h == NULL || p->session_open)
		return 0;
	if (tty != NULL)
		(void)pam_set_item(p->h, PAM_TTY, tty);
	if ((e = pam_setcred(p->h, PAM_ESTABLISH_CRED)) != PAM_SUCCESS)
		qlog_debug("PAM: pam_setcred: %s", pam_strerror(p->h, e));
	if ((e = pam_open_session(p->h, 0)) != PAM_SUCCESS) {
		qlog_error(
		    "PAM: pam_open_session(): %s", pam_strerror(p->h, e));
		return QSSH_ERR_ACCESS;
	}
	p->session_open = true;
	return 0;
}

int
qsshd_pam_account(struct qsshd_pam **pamp, const char *user, const char *rhost)
{
	int e, r;

	if ((r = pam_begin(pamp, user, rhost)) != 0)
		return r;
	/* After a password change the account check has been done. */
	if ((*pamp)->account_checked)
		return 0;
	if ((e = pam_acct_mgmt((*pamp)->h, 0)) != PAM_SUCCESS) {
		qlog_error("PAM: account check for %s failed: %s", user,
		    pam_strerror((*pamp)->h, e));
		return QSSH_ERR_ACCESS;
	}
	return 0;
}

char **
qsshd_pam_env(struct qsshd_pam *p)
{
	if (p == NULL || p->h == NULL)
		return NULL;
	return pam_getenvlist(p->h);
}

void
qsshd_pam_end(struct qsshd_pam *p)
{
	if (p == NULL)
		return;
	if (p->h != NULL) {
		if (p->session_open) {
			(void)pam_close_session(p->h, 0);
			(void)pam_setcred(p->h, PAM_DELETE_CRED);
		}
		(void)pam_end(p->h, PAM_SUCCESS);
	}
	free(p);
}
