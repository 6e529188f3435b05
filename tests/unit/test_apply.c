/* SPDX-License-Identifier: ISC */
/*
 * test_apply.c: the apply engine's key sync against a confirmed plan: a
 * keyslot is destroyed only when the --dry-run plan the user confirmed
 * destroyed it, whatever changed in the header since.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "config/config.h"
#include "talos/apply.h"

struct fixture {
	char dir[4096];
	char image[4200];
	char config[4200];
	const char *devices[2];
	char device_arg[4300];
	struct lv_config_file *cfg;
};

static const char config_text[] =
	"apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data\n"
	"encryption:\n  provider: luks2\n  keys:\n"
	"    - slot: 0\n      static:\n        passphrase: alpha one\n";

static struct lv_apply_params params_of(struct fixture *f, int dry_run,
					const struct lv_apply_report *confirmed)
{
	struct lv_apply_params params = {
		.devices = f->devices,
		.no_activate = 1,
		.dry_run = dry_run,
		.pbkdf = { .type = "argon2id", .memory_kib = 32, .forced_iterations = 4, .parallel = 1 },
		.confirmed = confirmed,
	};
	return params;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct lv_err err = { 0 };
	FILE *out;
	int fd;

	/* Under the test run's work directory (tests/run.sh), else /tmp. */
	snprintf(f->dir, sizeof(f->dir), "%s/lv-test-apply.XXXXXX",
		 getenv("LV_WORK") ? getenv("LV_WORK") : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->image, sizeof(f->image), "%s/data.img", f->dir);
	snprintf(f->config, sizeof(f->config), "%s/data.yaml", f->dir);
	fd = open(f->image, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 24 << 20), 0);
	close(fd);
	out = fopen(f->config, "w");
	assert_non_null(out);
	fputs(config_text, out);
	fclose(out);
	snprintf(f->device_arg, sizeof(f->device_arg), "u-data=%s", f->image);
	f->devices[0] = f->device_arg;
	assert_int_equal(lv_config_load(f->config, &f->cfg, NULL, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lv_config_free(&f->cfg);
	unlink(f->image);
	unlink(f->config);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct lv_apply_report *run(struct fixture *f, int dry_run,
				   const struct lv_apply_report *confirmed)
{
	struct lv_apply_params params = params_of(f, dry_run, confirmed);
	struct lv_apply_report *report = NULL;
	struct lv_err err = { 0 };

	assert_int_equal(lv_apply(f->cfg, &params, &report, &err), 0);
	assert_int_equal(lv_apply_report_status(report, &err), 0);
	return report;
}

/* Adds keyslot 7 ("out of band") outside the config, as a user would. */
static void add_out_of_band(struct fixture *f)
{
	struct lv_secret *old = lv_secret_dup("alpha one", 9), *new = lv_secret_dup("oob", 3);
	struct lv_pbkdf_params pbkdf = { .type = "argon2id", .memory_kib = 32,
					 .forced_iterations = 4, .parallel = 1 };
	struct lv_secret *volume_key = NULL;
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };

	assert_int_equal(lv_device_load(&dev, f->image, LV_LOAD_WRITABLE, &err), 0);
	assert_int_equal(lv_unlock(dev, 0, old, &volume_key, NULL, &err), 0);
	assert_int_equal(lv_keyslot_add(dev, 7, volume_key, new, &pbkdf, NULL, &err), 0);
	lv_secret_free(&volume_key);
	lv_secret_free(&old);
	lv_secret_free(&new);
	lv_device_free(&dev);
}

static int slot_exists(struct fixture *f, int slot)
{
	struct lv_device *dev = NULL;
	struct lv_err err = { 0 };
	int exists;

	assert_int_equal(lv_device_load(&dev, f->image, 0, &err), 0);
	exists = lv_keyslot_exists(dev, slot);
	lv_device_free(&dev);
	return exists;
}

static const struct lv_apply_step *find_step(const struct lv_apply_report *report,
					     enum lv_step_action action, int slot)
{
	for (unsigned i = 0; i < report->volumes[0].step_count; i++)
		if (report->volumes[0].steps[i].action == action &&
		    report->volumes[0].steps[i].slot == slot)
			return &report->volumes[0].steps[i];
	return NULL;
}

/* The plan is made before keyslot 7 exists: it is not destroyed. */
static void test_unplanned_removal_refused(void **state)
{
	struct fixture *f = *state;
	struct lv_apply_report *report = run(f, 0, NULL), *plan;
	const struct lv_apply_step *step;

	assert_int_equal(report->volumes[0].outcome, LV_VOLUME_FORMATTED);
	lv_apply_report_free(&report);
	plan = run(f, 1, NULL);
	assert_int_equal(lv_apply_report_print_destructive(plan, stderr), 0);
	add_out_of_band(f);
	report = run(f, 0, plan);
	step = find_step(report, LV_STEP_REMOVE, 7);
	assert_non_null(step);
	assert_int_equal(step->status, LV_STEP_FAILED);
	assert_non_null(strstr(step->detail, "not in the plan that was confirmed"));
	assert_true(slot_exists(f, 7));
	lv_apply_report_free(&report);
	lv_apply_report_free(&plan);
}

/* A plan that removes keyslot 7, confirmed: it is removed. */
static void test_planned_removal_done(void **state)
{
	struct fixture *f = *state;
	struct lv_apply_report *report = run(f, 0, NULL), *plan;
	const struct lv_apply_step *step;

	lv_apply_report_free(&report);
	add_out_of_band(f);
	plan = run(f, 1, NULL);
	assert_int_equal(lv_apply_report_print_destructive(plan, stderr), 1);
	assert_true(slot_exists(f, 7));
	report = run(f, 0, plan);
	step = find_step(report, LV_STEP_REMOVE, 7);
	assert_non_null(step);
	assert_int_equal(step->status, LV_STEP_DONE);
	assert_false(slot_exists(f, 7));
	assert_true(slot_exists(f, 0));
	lv_apply_report_free(&report);
	lv_apply_report_free(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unplanned_removal_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planned_removal_done, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
