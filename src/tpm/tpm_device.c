/* SPDX-License-Identifier: ISC */
/* tpm_device.c: the TCTI and ESAPI context, tracked handles, errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "tpm/tpm.h"
#include "tpm/tpm_log.h"
#include "tpm/tpm_tcti.h"

/* Objects and sessions alive at once: a seal or unseal needs five. */
#define TRACKED_MAX 16
#define TCTI_MAX 256

struct lv_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	char tcti_conf[TCTI_MAX];
	ESYS_TR tracked[TRACKED_MAX];
	size_t tracked_count;
};

/* The TCTI drivers luksvol loads; "cmd" (any program) is left out. */
static const char *const tcti_drivers[] = { "device", "swtpm", "mssim" };

const char *lv_tpm_tcti(const struct lv_tpm *tpm)
{
	return tpm->tcti_conf;
}

ESYS_CONTEXT *lv_tpm_esys(struct lv_tpm *tpm)
{
	return tpm->esys;
}

int lv_tpm_err(struct lv_tpm *tpm, struct lv_err *err, int code, const char *fmt, ...)
{
	char reason[LV_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return lv_err_set(err, code, "TPM %s: %s", tpm->tcti_conf, reason);
}

/* The errno of a response code: what went wrong, for the caller to act
 * on (-EPERM: the policy is not satisfied, try another key). */
static int rc_errno(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK, code = rc & ~TSS2_RC_LAYER_MASK;

	if (layer != TSS2_TPM_RC_LAYER) {
		switch (code & 0xffff) {
		case TSS2_BASE_RC_IO_ERROR:
		case TSS2_BASE_RC_NO_CONNECTION:
		case TSS2_BASE_RC_NOT_IMPLEMENTED:
			return -ENODEV;
		case TSS2_BASE_RC_MEMORY:
			return -ENOMEM;
		case TSS2_BASE_RC_BAD_VALUE:
		case TSS2_BASE_RC_BAD_REFERENCE:
			return -EINVAL;
		default:
			return -EIO;
		}
	}
	/* Format-one codes carry the parameter, handle or session number. */
	if (code & TPM2_RC_FMT1)
		code &= TPM2_RC_FMT1 | 0x3f;
	switch (code) {
	case TPM2_RC_POLICY_FAIL:
	case TPM2_RC_SIGNATURE:
	case TPM2_RC_PCR_CHANGED:
	case TPM2_RC_TICKET:
	case TPM2_RC_AUTH_FAIL:
	case TPM2_RC_BAD_AUTH:
	case TPM2_RC_LOCKOUT:
		return -EPERM;
	case TPM2_RC_OBJECT_MEMORY:
	case TPM2_RC_SESSION_MEMORY:
	case TPM2_RC_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int lv_tpm_fail(struct lv_tpm *tpm, TSS2_RC rc, const char *step, struct lv_err *err)
{
	if (lv_tcti_timed_out(tpm->tcti))
		return lv_tpm_err(tpm, err, -ETIMEDOUT, "%s: no answer within %u ms", step,
				  lv_tcti_timeout(tpm->tcti));
	return lv_tpm_err(tpm, err, rc_errno(rc), "%s: %s", step, lv_tpm_rc_text(rc));
}

static int path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Checks tcti and fills conf with the "driver:conf" string to load. */
static int tcti_choose(const char *tcti, char conf[TCTI_MAX], struct lv_err *err)
{
	size_t driver_len;

	if (!tcti) {
		const char *device =
			path_exists(LV_TPM_DEVICE) || !path_exists(LV_TPM_DEVICE_FALLBACK)
				? LV_TPM_DEVICE
				: LV_TPM_DEVICE_FALLBACK;

		snprintf(conf, TCTI_MAX, "device:%s", device);
		return 0;
	}
	if (strlen(tcti) >= TCTI_MAX - sizeof("device:"))
		return lv_err_set(err, -EINVAL, "TPM TCTI: longer than %d characters",
				  TCTI_MAX - (int)sizeof("device:"));
	for (const char *c = tcti; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return lv_err_set(
				err, -EINVAL,
				"TPM TCTI \"%.40s\": spaces and control characters are not allowed",
				tcti);
	if (tcti[0] == '/') {
		snprintf(conf, TCTI_MAX, "device:%s", tcti);
		return 0;
	}
	driver_len = strcspn(tcti, ":");
	for (size_t i = 0; i < sizeof(tcti_drivers) / sizeof(tcti_drivers[0]); i++) {
		if (strlen(tcti_drivers[i]) == driver_len &&
		    strncmp(tcti, tcti_drivers[i], driver_len) == 0) {
			snprintf(conf, TCTI_MAX, "%s", tcti);
			return 0;
		}
	}
	return lv_err_set(err, -EINVAL,
			  "TPM TCTI \"%s\": unknown driver (device:PATH, swtpm:host=H,port=P, "
			  "mssim:host=H,port=P, or a device path)",
			  tcti);
}

/* The sysfs class of a character device ("tpm", "tpmrm", "mem", ...). */
static int char_device_class(dev_t rdev, char *name, size_t size)
{
	char link[64], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/subsystem", major(rdev), minor(rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	snprintf(name, size, "%.*s", (int)size - 1, base ? base + 1 : target);
	return 0;
}

/* The device TCTI writes TPM commands to its path: it must be a TPM's
 * character device, never a file or a disk that a typo would overwrite. */
static int device_check(const char *conf, struct lv_err *err)
{
	const char *path = conf + strlen("device:");
	char class[64];
	struct stat st;
	int r;

	if (strncmp(conf, "device:", strlen("device:")) != 0)
		return 0;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT && strcmp(path, LV_TPM_DEVICE) == 0)
			return lv_err_set(err, -ENODEV, "TPM: no TPM: neither %s nor %s exists",
					  LV_TPM_DEVICE, LV_TPM_DEVICE_FALLBACK);
		if (errno == ENOENT)
			return lv_err_set(err, -ENODEV, "TPM %s: %s does not exist", conf, path);
		return lv_err_set(err, -errno, "TPM %s: %s: %s", conf, path, strerror(errno));
	}
	if (!S_ISCHR(st.st_mode))
		return lv_err_set(err, -EINVAL, "TPM %s: %s is not a character device", conf, path);
	r = char_device_class(st.st_rdev, class, sizeof(class));
	if (r < 0)
		return lv_err_set(err, -EINVAL,
				  "TPM %s: cannot tell whether %s is a TPM (sysfs: %s)", conf, path,
				  strerror(-r));
	if (strcmp(class, "tpm") != 0 && strcmp(class, "tpmrm") != 0)
		return lv_err_set(err, -EINVAL, "TPM %s: %s is not a TPM (a %s device)", conf, path,
				  class);
	return 0;
}

static int tpm_connect(struct lv_tpm *tpm, unsigned timeout_ms, struct lv_err *err)
{
	TSS2_RC rc;
	int r = lv_tcti_open(tpm->tcti_conf, timeout_ms, &tpm->tcti, err);

	if (r < 0)
		return r;
	rc = Esys_Initialize(&tpm->esys, tpm->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpm->esys = NULL;
		return lv_tpm_fail(tpm, rc, "ESAPI initialization", err);
	}
	rc = Esys_Startup(tpm->esys, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE)
		return lv_tpm_fail(tpm, rc, "Startup", err);
	return 0;
}

int lv_tpm_open(const char *tcti, struct lv_tpm **tpm_out, struct lv_err *err)
{
	return lv_tpm_open_timed(tcti, 0, tpm_out, err);
}

int lv_tpm_open_timed(const char *tcti, unsigned timeout_ms, struct lv_tpm **tpm_out,
		      struct lv_err *err)
{
	struct lv_tpm *tpm;
	int r;

	*tpm_out = NULL;
	tpm = calloc(1, sizeof(*tpm));
	if (!tpm)
		return lv_err_set(err, -ENOMEM, "TPM: out of memory");
	r = tcti_choose(tcti, tpm->tcti_conf, err);
	if (r == 0)
		r = device_check(tpm->tcti_conf, err);
	/* After the checks: a machine with no TPM says so, tpm2-tss
	 * installed or not. */
	if (r == 0)
		r = lv_tss2_load(err);
	if (r == 0)
		r = tpm_connect(tpm, timeout_ms, err);
	if (r < 0) {
		lv_tpm_close(&tpm);
		return r;
	}
	*tpm_out = tpm;
	return 0;
}

void lv_tpm_close(struct lv_tpm **tpm_ptr)
{
	struct lv_tpm *tpm = *tpm_ptr;

	if (!tpm)
		return;
	while (tpm->tracked_count > 0) {
		ESYS_TR handle = tpm->tracked[tpm->tracked_count - 1];

		lv_tpm_flush(tpm, &handle);
	}
	if (tpm->esys)
		Esys_Finalize(&tpm->esys);
	lv_tcti_close(&tpm->tcti);
	free(tpm);
	*tpm_ptr = NULL;
}

int lv_tpm_track(struct lv_tpm *tpm, ESYS_TR handle, struct lv_err *err)
{
	if (tpm->tracked_count == TRACKED_MAX) {
		Esys_FlushContext(tpm->esys, handle);
		return lv_tpm_err(tpm, err, -ENOMEM, "more than %d transient handles at once",
				  TRACKED_MAX);
	}
	tpm->tracked[tpm->tracked_count++] = handle;
	return 0;
}

void lv_tpm_flush(struct lv_tpm *tpm, ESYS_TR *handle)
{
	for (size_t i = 0; *handle != ESYS_TR_NONE && i < tpm->tracked_count; i++) {
		if (tpm->tracked[i] != *handle)
			continue;
		/* A failed flush (the TPM went away) still drops ESAPI's record. */
		if (Esys_FlushContext(tpm->esys, *handle) != TSS2_RC_SUCCESS)
			Esys_TR_Close(tpm->esys, handle);
		tpm->tracked[i] = tpm->tracked[--tpm->tracked_count];
		break;
	}
	*handle = ESYS_TR_NONE;
}

void lv_tpm_wipe_response(struct lv_tpm *tpm)
{
	TSS2_SYS_CONTEXT *sys = NULL;
	const uint8_t *response = NULL;
	size_t len = 0;

	if (Esys_GetSysContext(tpm->esys, &sys) != TSS2_RC_SUCCESS || !sys)
		return;
	if (Tss2_Sys_GetRpBuffer(sys, &len, &response) != TSS2_RC_SUCCESS || !response)
		return;
	/* ESAPI decrypted the parameters in place in its own heap buffer. */
	lv_wipe((void *)(uintptr_t)response, len);
}
