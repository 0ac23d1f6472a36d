/*
 * fuzz_expr.c - libFuzzer target: templates and expressions (expr.h).
 *
 * The input is a template as a flow's send_msg text would carry it. It is
 * evaluated with expr_template and expr_template_value against a context
 * like the runner's (input, results, contact, fields, run, flow), with the
 * router tests callable as functions; the text after an "@(" is also
 * evaluated as a bare expression with expr_eval.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "expr.h"
#include "rtest.h"

static const char context_json[] =
    "{\"input\": {\"__default__\": \"yes I do 12\", \"text\": \"yes I do 12\","
    "  \"attachments\": [], \"uuid\": "
    "\"0b1f5c5e-1111-4222-8333-444455556666\"},"
    " \"results\": {\"feel_safe\": {\"__default__\": \"yes\", \"value\": "
    "  \"yes\", \"category\": \"Very Safe\", \"name\": \"Feel Safe\","
    "  \"input\": \"1\", \"created_on\": \"2026-05-28T10:00:00.000000Z\"},"
    "  \"age\": {\"__default__\": \"12\", \"value\": \"12\", \"category\": "
    "  \"Number\", \"name\": \"Age\"}},"
    " \"contact\": {\"__default__\": \"\", \"language\": \"fra\", "
    "  \"fields\": {\"age\": \"12\", \"district\": \"Kakuma\"}},"
    " \"fields\": {\"age\": \"12\", \"district\": \"Kakuma\"},"
    " \"run\": {\"status\": \"active\"},"
    " \"flow\": {\"__default__\": \"Wellbeing Check\", \"name\": "
    "  \"Wellbeing Check\", \"uuid\": \"5f3c0b54-0000-4000-8000-000000000001\","
    "  \"revision\": 3}}";

static json_t *context;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    context = json_loads(context_json, 0, NULL);
    if (context == NULL)
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtest_env renv = {.now_ms = 1780000000000LL};
    struct expr_env env = {.context = context,
                           .call = rtest_expr_call,
                           .call_arg = &renv,
                           .now_ms = renv.now_ms};
    char err[SK_ERR_LEN];
    char *tpl = malloc(size + 1), *out;
    const char *at;
    json_t *v;

    if (tpl == NULL)
        return 0;
    memcpy(tpl, data, size);
    tpl[size] = '\0';
    /* half the inputs in a zone with daylight saving time */
    if (size > 0 && (data[0] & 1)) {
        renv.timezone = env.timezone = "Europe/Paris";
        renv.tz_rule = env.tz_rule = "CET-1CEST,M3.5.0,M10.5.0/3";
        env.date_format = renv.date_format = "MM-DD-YYYY";
    }
    out = expr_template(&env, tpl, err);
    free(out);
    v = expr_template_value(&env, tpl, err);
    json_decref(v);
    if ((at = strstr(tpl, "@(")) != NULL) {
        v = expr_eval(&env, at + 2);
        json_decref(v);
    }
    free(tpl);
    return 0;
}
