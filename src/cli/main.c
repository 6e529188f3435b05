/* SPDX-License-Identifier: ISC */
/* main.c: runs the verb of the `luksvol` command line and reports its outcome. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/compat.h"

int cli_exit_code(int code)
{
	switch (code) {
	case 0: return EXIT_OK;
	case -EPERM: case -EACCES: return EXIT_NO_PERM;
	/* No key to be had (cryptsetup's "no permission or bad passphrase"
	 * stretched to key servers and TPMs, as for open --token-only): a
	 * key server down, hanging, resetting or answering nonsense or an
	 * error (the engines' codes: src/clevis/clevis.h, src/kms/kms.h), an
	 * sss policy short of its threshold. */
	case -ENOKEY: case -ECONNREFUSED: case -ECONNRESET: case -EHOSTUNREACH: case -ENETUNREACH:
	case -ETIMEDOUT: case -EPROTO: case -EREMOTEIO:
		return EXIT_NO_PERM;
	case -ENOMEM: return EXIT_NO_MEM;
	case -ENODEV: case -ENOTBLK: case -ENXIO: return EXIT_WRONG_DEVICE;
	case -EBUSY: case -EEXIST: return EXIT_BUSY;
	default: return EXIT_BAD_PARAM;
	}
}

int cli_fail(int code, const struct lv_err *err)
{
	if (err && err->msg[0])
		fprintf(stderr, "luksvol: %s\n", err->msg);
	else
		fprintf(stderr, "luksvol: %s\n", strerror(-code));
	return cli_exit_code(code);
}

/* Output that never reached standard output (a full disk, /dev/full) is
 * a failure, not a success. */
static int check_stdout(int rc)
{
	if ((fflush(stdout) == 0 && !ferror(stdout)) || rc != EXIT_OK)
		return rc;	/* a verb that failed has said why, once */
	fprintf(stderr, "luksvol: standard output: cannot write: %s\n", strerror(errno));
	return EXIT_BAD_PARAM;
}

void cli_print_exit_status(int rc)
{
	static const char *const meaning[] = {
		[EXIT_BAD_PARAM] = "wrong or missing parameters",
		[EXIT_NO_PERM] = "no permission or bad passphrase",
		[EXIT_NO_MEM] = "out of memory",
		[EXIT_WRONG_DEVICE] = "wrong device or file specified",
		[EXIT_BUSY] = "device already exists or device is busy",
	};

	if (rc == EXIT_OK)
		printf("Command successful.\n");
	else
		printf("Command failed with code -%d (%s).\n", rc,
		       rc > 0 && rc <= EXIT_BUSY ? meaning[rc] : "unknown error");
}

int main(int argc, char **argv)
{
	struct cli_opts opts = { 0 };
	const struct cli_verb *verb;
	int rc;

	/* Installed as cryptsetup (a symlink), or asked for its syntax. */
	if (argc > 0 && compat_wanted(argc, argv))
		return check_stdout(compat_main(argc, argv));
	rc = cli_parse(argc, argv, &verb, &opts);

	if (rc != 0)
		return rc > 0 ? EXIT_OK : cli_exit_code(rc);
	rc = check_stdout(verb->run ? verb->run(&opts) : compat_run_native(verb, &opts));
	if (opts.verbose) {
		cli_print_exit_status(rc);
		rc = check_stdout(rc);
	}
	return rc;
}
