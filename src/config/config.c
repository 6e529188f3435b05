/* SPDX-License-Identifier: ISC */
/*
 * config.c: the public entry points of the Talos-style volume config:
 * read a file (or memory), build the YAML tree, read and validate its
 * documents, and hand out either the typed config or every diagnostic.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_internal.h"

#define READ_CHUNK_BYTES (64u << 10)

int cfg_report_errors(struct cfg_ctx *ctx, char **diagnostics, struct lv_err *err)
{
	char *text = cfg_diags_join(ctx, &ctx->errors, 0);

	if (!text)
		return lv_err_set(err, -ENOMEM, "%s: out of memory", ctx->file);
	if (diagnostics)
		*diagnostics = text;
	else
		free(text);
	return lv_err_set(err, -EINVAL, "%s: %zu error%s in the volume config", ctx->file,
			  ctx->errors.count, ctx->errors.count == 1 ? "" : "s");
}

int cfg_build_config(struct cfg_ctx *ctx, struct cfg_stream *stream, struct lv_config_file **out,
		     struct lv_err *err)
{
	struct lv_config_file *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return lv_err_set(err, -ENOMEM, "%s: out of memory", ctx->file);
	cfg->path = strdup(ctx->file);
	cfg->notices = cfg_diags_join(ctx, &ctx->notices, 1);
	if (!cfg->path || !cfg->notices || cfg_export(stream, cfg) < 0) {
		lv_config_free(&cfg);
		return lv_err_set(err, -ENOMEM, "%s: out of memory", ctx->file);
	}
	*out = cfg;
	return 0;
}

int lv_config_parse_mem(const char *name, const uint8_t *buf, size_t len,
			struct lv_config_file **cfg, char **diagnostics, struct lv_err *err)
{
	struct cfg_ctx ctx = { .file = name ? name : "<memory>" };
	struct cfg_stream stream = { 0 };
	struct cfg_tree tree;
	int r;

	*cfg = NULL;
	if (diagnostics)
		*diagnostics = NULL;
	r = cfg_tree_load(&ctx, buf ? buf : (const uint8_t *)"", buf ? len : 0, &tree);
	if (r == 0)
		r = cfg_read_stream(&ctx, &tree, &stream);
	if (r == -ENOMEM || ctx.oom)
		r = lv_err_set(err, -ENOMEM, "%s: out of memory", ctx.file);
	else if (ctx.errors.count)
		r = cfg_report_errors(&ctx, diagnostics, err);
	else if (r == 0)
		r = cfg_build_config(&ctx, &stream, cfg, err);
	else
		r = lv_err_set(err, r, "%s: cannot read the volume config", ctx.file);
	cfg_stream_release(&stream);
	cfg_tree_free(&tree);
	cfg_ctx_release(&ctx);
	return r;
}

static int grow_secret(struct lv_secret **buf, size_t used, size_t want)
{
	struct lv_secret *bigger = lv_secret_new(want);

	if (!bigger)
		return -ENOMEM;
	if (used)
		memcpy(bigger->bytes, (*buf)->bytes, used);
	lv_secret_free(buf);
	*buf = bigger;
	return 0;
}

/* Reads up to CFG_MAX_INPUT_BYTES + 1 bytes (one more than allowed, so an
 * oversized file is seen as such) into locked memory. */
static int read_limited(int fd, struct lv_secret **buf, size_t *len)
{
	size_t used = 0, limit = CFG_MAX_INPUT_BYTES + 1;
	struct stat st;
	size_t size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
			      (uint64_t)st.st_size < limit ? (size_t)st.st_size + 1 : READ_CHUNK_BYTES;
	ssize_t n;

	if (grow_secret(buf, 0, size) < 0)
		return -ENOMEM;
	for (;;) {
		if (used == (*buf)->len) {
			if (used == limit)
				break;
			if (grow_secret(buf, used, used * 2 < limit ? used * 2 : limit) < 0)
				return -ENOMEM;
		}
		n = read(fd, (*buf)->bytes + used, (*buf)->len - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*len = used;
	return 0;
}

int lv_config_load(const char *path, struct lv_config_file **cfg, char **diagnostics,
		   struct lv_err *err)
{
	int from_stdin = strcmp(path, "-") == 0;
	const char *name = from_stdin ? "<stdin>" : path;
	int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct lv_secret *buf = NULL;
	size_t len = 0;
	int r;

	*cfg = NULL;
	if (diagnostics)
		*diagnostics = NULL;
	if (fd < 0)
		return lv_err_set(err, -errno, "%s: cannot open: %s", name, strerror(errno));
	r = read_limited(fd, &buf, &len);
	if (!from_stdin)
		close(fd);
	if (r < 0) {
		lv_secret_free(&buf);
		return lv_err_set(err, r, "%s: cannot read: %s", name, strerror(-r));
	}
	r = lv_config_parse_mem(name, buf->bytes, len, cfg, diagnostics, err);
	lv_secret_free(&buf);
	return r;
}

const char *lv_config_notices(const struct lv_config_file *cfg)
{
	return cfg && cfg->notices ? cfg->notices : "";
}

static void volume_release(struct lv_config_volume *vol)
{
	struct lv_config_encryption *enc = &vol->encryption;

	for (size_t i = 0; i < enc->key_count; i++) {
		if (enc->keys[i].kind == LV_KEY_STATIC)
			lv_secret_free(&enc->keys[i].static_key.passphrase);
		else if (enc->keys[i].kind == LV_KEY_KMS)
			free(enc->keys[i].kms.endpoint);
		else if (enc->keys[i].kind == LV_KEY_TANG) {
			free(enc->keys[i].tang.url);
			free(enc->keys[i].tang.thumbprint);
		}
	}
	free(enc->keys);
	free(enc->cipher);
	free(vol->name);
	free(vol->volume_id);
	if (vol->unused_fields) {
		cfg_doc_release(vol->unused_fields);
		free(vol->unused_fields);
	}
}

void lv_config_free(struct lv_config_file **cfg)
{
	if (!cfg || !*cfg)
		return;
	for (size_t i = 0; i < (*cfg)->volume_count; i++)
		volume_release(&(*cfg)->volumes[i]);
	free((*cfg)->volumes);
	free((*cfg)->path);
	free((*cfg)->notices);
	free(*cfg);
	*cfg = NULL;
}
