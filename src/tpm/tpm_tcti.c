/* SPDX-License-Identifier: ISC */
/*
 * tpm_tcti.c: the TCTI ESAPI talks through (see tpm_tcti.h): tss2's
 * device and mssim drivers, or luksvol's swtpm client, behind a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "tpm/tpm_log.h"
#include "tpm/tpm_tcti.h"
#include "tpm/tpm_tss2.h"

#define LV_TCTI_MAGIC 0x6c756b73766f6c54ULL	/* "luksvolT" */

struct lv_tcti {
	TSS2_TCTI_CONTEXT_COMMON_V2 common;	/* first: what ESAPI calls */
	TSS2_TCTI_CONTEXT *driver;		/* device, mssim: tss2's, through tctildr */
	int driver_fd;				/* its poll handle */
	int driver_is_device;			/* device: the kernel's TPM */
	int response_ready;			/* device: this response came */
	struct lv_swtpm *swtpm;			/* swtpm: luksvol's client */
	unsigned timeout_ms;
	uint64_t deadline_ms;			/* 0: none */
	int timed_out;
};

static struct lv_tcti *tcti_of(TSS2_TCTI_CONTEXT *context)
{
	struct lv_tcti *t = (struct lv_tcti *)context;

	return t && t->common.v1.magic == LV_TCTI_MAGIC ? t : NULL;
}

/* After a timeout the TPM may still be busy with the command: nothing
 * more is sent to it. */
static TSS2_RC tcti_transmit(TSS2_TCTI_CONTEXT *context, size_t size, const uint8_t *command)
{
	struct lv_tcti *t = tcti_of(context);

	if (!t)
		return TSS2_TCTI_RC_BAD_CONTEXT;
	if (t->timed_out || (t->deadline_ms && lv_tcti_poll_ms(t->deadline_ms) == 0)) {
		t->timed_out = 1;
		return TSS2_TCTI_RC_IO_ERROR;
	}
	if (t->swtpm)
		return lv_swtpm_transmit(t->swtpm, size, command, t->deadline_ms, &t->timed_out);
	t->response_ready = 0;
	return Tss2_Tcti_Transmit(t->driver, size, command);
}

/* The driver reads once its poll handle is readable, within the deadline.
 * SAPI receives each response twice: its size, then its bytes.  The
 * kernel's TPM device hands over a whole response at once, and is no
 * longer readable once the driver has read a response that is only the
 * 10-byte header (Startup's TPM_RC_INITIALIZE): only the first receive
 * after a command waits on it.  A socket (mssim) is waited on each time. */
static TSS2_RC driver_receive(struct lv_tcti *t, size_t *size, uint8_t *response)
{
	struct pollfd pfd = { .fd = t->driver_fd, .events = POLLIN };
	int n;

	if (t->deadline_ms && !(t->driver_is_device && t->response_ready)) {
		do {
			n = poll(&pfd, 1, lv_tcti_poll_ms(t->deadline_ms));
		} while (n < 0 && errno == EINTR);
		if (n <= 0) {
			t->timed_out = n == 0;
			return TSS2_TCTI_RC_IO_ERROR;
		}
		t->response_ready = 1;
	}
	return Tss2_Tcti_Receive(t->driver, size, response, TSS2_TCTI_TIMEOUT_BLOCK);
}

/* ESAPI's synchronous calls pass TSS2_TCTI_TIMEOUT_BLOCK; the deadline
 * bounds them. */
static TSS2_RC tcti_receive(TSS2_TCTI_CONTEXT *context, size_t *size, uint8_t *response,
			    int32_t timeout)
{
	struct lv_tcti *t = tcti_of(context);

	(void)timeout;
	if (!t)
		return TSS2_TCTI_RC_BAD_CONTEXT;
	if (t->timed_out)
		return TSS2_TCTI_RC_IO_ERROR;
	if (t->swtpm)
		return lv_swtpm_receive(t->swtpm, size, response, t->deadline_ms, &t->timed_out);
	return driver_receive(t, size, response);
}

static void tcti_finalize(TSS2_TCTI_CONTEXT *context)
{
	struct lv_tcti *t = tcti_of(context);

	if (!t)
		return;
	if (t->driver)
		Tss2_TctiLdr_Finalize(&t->driver);
	lv_swtpm_close(&t->swtpm);
}

/* The poll handle of a loaded driver: device and mssim have one (tss2's
 * swtpm driver has none, which is why luksvol has its own). */
static int driver_poll_fd(TSS2_TCTI_CONTEXT *driver, int *fd)
{
	TSS2_TCTI_POLL_HANDLE handle;
	size_t count = 1;

	if (Tss2_Tcti_GetPollHandles(driver, &handle, &count) != TSS2_RC_SUCCESS || count != 1)
		return -ENOTSUP;
	*fd = handle.fd;
	return 0;
}

static int open_driver(struct lv_tcti *t, const char *conf, struct lv_err *err)
{
	TSS2_RC rc = Tss2_TctiLdr_Initialize(conf, &t->driver);

	if (rc != TSS2_RC_SUCCESS) {
		t->driver = NULL;
		return lv_err_set(err, -ENODEV, "TPM %s: cannot connect: %s", conf,
				  lv_tpm_rc_text(rc));
	}
	if (driver_poll_fd(t->driver, &t->driver_fd) < 0)
		return lv_err_set(err, -ENOTSUP, "TPM %s: the driver has no poll handle", conf);
	t->driver_is_device = strncmp(conf, "device:", strlen("device:")) == 0;
	return 0;
}

/* "swtpm" or "swtpm:CONF". */
static int is_swtpm(const char *conf)
{
	return strncmp(conf, "swtpm", 5) == 0 && (conf[5] == '\0' || conf[5] == ':');
}

static int open_swtpm(struct lv_tcti *t, const char *conf, struct lv_err *err)
{
	TSS2_RC rc = lv_swtpm_open(conf[5] ? conf + 6 : "", t->deadline_ms, &t->swtpm,
				   &t->timed_out);

	if (rc == TSS2_RC_SUCCESS)
		return 0;
	if (rc == TSS2_TCTI_RC_BAD_VALUE)
		return lv_err_set(err, -EINVAL,
				  "TPM %s: expected host=H,port=P or path=SOCKET", conf);
	if (t->timed_out)
		return lv_err_set(err, -ETIMEDOUT, "TPM %s: cannot connect: no answer within %u ms",
				  conf, t->timeout_ms);
	return lv_err_set(err, -ENODEV, "TPM %s: cannot connect: %s", conf, lv_tpm_rc_text(rc));
}

int lv_tcti_open(const char *conf, unsigned timeout_ms, TSS2_TCTI_CONTEXT **tcti,
		 struct lv_err *err)
{
	struct lv_tcti *t = calloc(1, sizeof(*t));
	int r;

	*tcti = NULL;
	if (!t)
		return lv_err_set(err, -ENOMEM, "TPM: out of memory");
	t->timeout_ms = timeout_ms;
	t->deadline_ms = timeout_ms ? lv_tcti_now_ms() + timeout_ms : 0;
	t->common.v1.magic = LV_TCTI_MAGIC;
	t->common.v1.version = 2;
	t->common.v1.transmit = tcti_transmit;
	t->common.v1.receive = tcti_receive;
	t->common.v1.finalize = tcti_finalize;
	t->driver_fd = -1;
	r = is_swtpm(conf) ? open_swtpm(t, conf, err) : open_driver(t, conf, err);
	if (r < 0) {
		tcti_finalize((TSS2_TCTI_CONTEXT *)t);
		free(t);
		return r;
	}
	*tcti = (TSS2_TCTI_CONTEXT *)t;
	return 0;
}

void lv_tcti_close(TSS2_TCTI_CONTEXT **tcti)
{
	if (!*tcti)
		return;
	tcti_finalize(*tcti);
	free(*tcti);
	*tcti = NULL;
}

unsigned lv_tcti_timeout(const TSS2_TCTI_CONTEXT *tcti)
{
	struct lv_tcti *t = tcti_of((TSS2_TCTI_CONTEXT *)tcti);

	return t ? t->timeout_ms : 0;
}

int lv_tcti_timed_out(const TSS2_TCTI_CONTEXT *tcti)
{
	struct lv_tcti *t = tcti_of((TSS2_TCTI_CONTEXT *)tcti);

	return t && t->timed_out;
}
