/* SPDX-License-Identifier: ISC */
/*
 * tpm_tcti.h: the TCTI under luksvol's ESAPI context, with a deadline.
 *
 * tpm2-tss's synchronous calls wait for the TPM without a bound: a TPM
 * that stops answering (a hung swtpm, a wedged bus) would hang `luksvol
 * apply` at boot for ever.  Every command therefore goes through this
 * TCTI, which fails it once the deadline has passed:
 *   device:, mssim:  tss2's own driver (loaded through tctildr), whose
 *                    poll handle is waited on until the deadline (device:
 *                    once a response, which the kernel hands over whole;
 *                    mssim: before each read);
 *   swtpm:           luksvol's own client of swtpm's socket protocol
 *                    (tpm_swtpm.c): tss2 3.2's swtpm driver has no poll
 *                    handle and ignores the receive timeout.
 * A command that times out fails with TSS2_TCTI_RC_IO_ERROR and
 * lv_tcti_timed_out() says why; every later command fails at once, so the
 * flushes on the way out do not wait again (the TPM, if it ever answers,
 * keeps what it made: without a resource manager nothing else can
 * flush it).
 */
#ifndef LV_TPM_TCTI_H
#define LV_TPM_TCTI_H

#include <stdint.h>
#include <tss2_tcti.h>

#include "luksvol.h"

/* conf: "driver:configuration" as tpm_device.c chose it.  Every command
 * from now on (swtpm: the connection too) must be answered within
 * timeout_ms; 0: no bound.  *tcti is ready for Esys_Initialize. */
int lv_tcti_open(const char *conf, unsigned timeout_ms, TSS2_TCTI_CONTEXT **tcti,
		 struct lv_err *err);
/* Finalizes the driver and frees *tcti; NULL is accepted. */
void lv_tcti_close(TSS2_TCTI_CONTEXT **tcti);
/* The bound given, 0 when none; whether a command ran out of it. */
unsigned lv_tcti_timeout(const TSS2_TCTI_CONTEXT *tcti);
int lv_tcti_timed_out(const TSS2_TCTI_CONTEXT *tcti);

/*
 * The swtpm client (tpm_swtpm.c), for tpm_tcti.c only: its own state
 * behind a pointer, each call bounded by deadline_ms (CLOCK_MONOTONIC
 * milliseconds, 0: none).  Errors are TSS2 TCTI codes; *timed_out is
 * set when the deadline passed.
 */
struct lv_swtpm;
TSS2_RC lv_swtpm_open(const char *conf, uint64_t deadline_ms, struct lv_swtpm **swtpm,
		      int *timed_out);
TSS2_RC lv_swtpm_transmit(struct lv_swtpm *swtpm, size_t size, const uint8_t *command,
			  uint64_t deadline_ms, int *timed_out);
TSS2_RC lv_swtpm_receive(struct lv_swtpm *swtpm, size_t *size, uint8_t *response,
			 uint64_t deadline_ms, int *timed_out);
void lv_swtpm_close(struct lv_swtpm **swtpm);

/* Milliseconds left until deadline_ms (0: none, then -1 for poll); 0 when past. */
int lv_tcti_poll_ms(uint64_t deadline_ms);
uint64_t lv_tcti_now_ms(void);

#endif
