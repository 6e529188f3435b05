/* SPDX-License-Identifier: ISC */
/*
 * luks2_dump.c: what the read-only verbs print of a header that loads:
 * `dump` (lv_dump, the token types' dump ops) and `dump --json`
 * (lv_dump_json).  Split from luks2_load, whose runs stay with the reader.
 *
 * The input is a device image as for luks2_load (control byte included);
 * its corpus is luks2_load's plus the inputs that reach more of dump.c
 * (fuzz/corpus_dirs.sh).
 *
 * Invariant (abort on violation): both dumps succeed on a loaded header;
 * ASan and UBSan watch the rest.
 */
#include <string.h>

#include "fuzz_common.h"
#include "luks2/device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	struct fz_image img;
	FILE *out = fz_discard_file();

	if (!out || fz_image_prepare(&img, data, size, 0) < 0)
		return 0;
	if (lv_device_load_mem(&dev, img.bytes, img.len, 0, &err) == 0) {
		if (lv_dump(dev, out, &err) < 0)
			fz_fail("dump failed on a loaded header: %s", err.msg);
		if (lv_dump_json(dev, out, &err) < 0)
			fz_fail("dump --json failed on a loaded header: %s", err.msg);
		lv_device_free(&dev);
	}
	fz_image_release(&img);
	return 0;
}
