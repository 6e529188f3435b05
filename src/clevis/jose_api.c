/* SPDX-License-Identifier: ISC */
/* jose_api.c: libjansson and libjose loaded on first use (jose_api.h). */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "base/dl_table.h"
#include "clevis/jose_api.h"

#define CALL(call) LV_DL_CALL(struct lv_jose_api, call, #call)

static const struct lv_dl_call jansson_calls[] = {
	CALL(json_array), CALL(json_array_append_new), CALL(json_array_get),
	CALL(json_array_size), CALL(json_deep_copy), CALL(json_delete),
	CALL(json_dumpb), CALL(json_dumpfd), CALL(json_dumps),
	CALL(json_get_alloc_funcs), CALL(json_integer_value), CALL(json_loadb),
	CALL(json_loads), CALL(json_object), CALL(json_object_del),
	CALL(json_object_getn), CALL(json_object_set_new), CALL(json_object_size),
	CALL(json_pack), CALL(json_set_alloc_funcs), CALL(json_string),
	CALL(json_string_length), CALL(json_string_value), CALL(json_stringn),
};

static const struct lv_dl_call jose_calls[] = {
	CALL(jose_b64_dec), CALL(jose_b64_dec_io), CALL(jose_b64_dec_load), CALL(jose_b64_enc),
	CALL(jose_b64_enc_buf), CALL(jose_cfg), CALL(jose_cfg_decref), CALL(jose_cfg_set_err_func),
	CALL(jose_io_buffer), CALL(jose_io_decref), CALL(jose_jwe_dec_cek_io),
	CALL(jose_jwe_dec_jwk), CALL(jose_jwe_enc_cek), CALL(jose_jwe_enc_jwk), CALL(jose_jwe_hdr),
	CALL(jose_jwk_exc), CALL(jose_jwk_gen), CALL(jose_jwk_prm), CALL(jose_jwk_pub),
	CALL(jose_jwk_thp), CALL(jose_jws_sig), CALL(jose_jws_ver),
};

static struct lv_jose_api jose_api;

/*
 * libjose keeps keys (ephemeral private keys, the recovered ECMR point, the
 * content key) in jansson objects, which jansson frees without wiping.
 * While jansson still uses plain malloc and free, its free is replaced by
 * one that wipes the block first; blocks allocated before are plain malloc
 * blocks too, so the switch is safe at any time.
 */
static void wiping_free(void *p)
{
	if (p)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static void *plain_malloc(size_t n)
{
	return malloc(n);
}

static int jansson_wipe_on_free(void *table, char *why, size_t why_bytes)
{
	const struct lv_jose_api *api = table;
	json_malloc_t current_malloc;
	json_free_t current_free;

	(void)why, (void)why_bytes;
	api->json_get_alloc_funcs(&current_malloc, &current_free);
	if (current_malloc == malloc && current_free == free)
		api->json_set_alloc_funcs(plain_malloc, wiping_free);
	return 0;
}

/* jansson first: a missing one is named as itself, not as libjose's
 * dependency. */
static const struct lv_dl_library jose_libraries[] = {
	LV_DL_LIBRARY(LV_JANSSON_SONAME, jansson_calls),
	LV_DL_LIBRARY(LV_JOSE_SONAME, jose_calls),
};

static struct lv_dl_once jose_once = LV_DL_ONCE(jose_libraries, &jose_api, jansson_wipe_on_free);

int lv_jose_load(struct lv_err *err)
{
	return lv_dl_once_load(&jose_once, err);
}

const struct lv_jose_api *lv_jose(void)
{
	return &jose_api;
}
