/* SPDX-License-Identifier: ISC */
/*
 * cmd_talos.c: `luksvol talos open` and `luksvol talos close`: a Talos
 * node's disk opened for rescue, without changing a byte of its headers
 * or of META (luksvol-talos.h).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "luksvol-talos.h"

int cli_talos_open(const struct cli_opts *opts)
{
	struct lv_talos_open_params params = {
		.disk = opts->disk,
		.meta_device = opts->meta_device,
		.devices = opts->devices,
		.keys = { .node_uuid = opts->node_uuid },
	};
	struct lv_talos_disk *disk = NULL;
	struct lv_err err = { 0 };
	int r = lv_talos_open(&params, &disk, &err);

	if (r < 0)
		return cli_fail(r, &err);
	lv_talos_disk_print(disk, stdout, opts->json);
	r = lv_talos_disk_status(disk, &err);
	lv_talos_disk_free(&disk);
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}

int cli_talos_close(const struct cli_opts *opts)
{
	struct lv_err err = { 0 };
	int r = lv_talos_close(stdout, &err);

	(void)opts;
	return r < 0 ? cli_fail(r, &err) : EXIT_OK;
}
