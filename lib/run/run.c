// SPDX-License-Identifier: Apache-2.0
/* Run results: ownership and the reference-log wording of each outcome. */
#include "run/run.h"

#include <string.h>

void kb_run_result_clear(struct kb_run_result *r)
{
	free(r->title);
	free(r->console_path);
	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
}

char *kb_run_result_describe(const struct kb_run_result *r)
{
	const char *what = "failed";

	switch (r->outcome) {
	case KB_RUN_OK:
		return kb_xstrdup("OK");
	case KB_RUN_CRASH:
		what = "crashed";
		break;
	case KB_RUN_BOOT_FAIL:
		what = "boot failed";
		break;
	case KB_RUN_TEST_FAIL:
		what = "basic kernel testing failed";
		break;
	case KB_RUN_SKIP:
		what = "skipped";
		break;
	case KB_RUN_INFRA:
		what = "infra problem";
		break;
	}
	if (!r->title || !*r->title)
		return kb_xstrdup(what);
	return kb_xasprintf("%s: %s", what, r->title);
}

void kb_run_result_set_cancelled(struct kb_run_result *r)
{
	free(r->title);
	r->outcome = KB_RUN_INFRA;
	r->title = kb_xstrdup(KB_RUN_CANCELLED);
}

bool kb_run_result_is_cancelled(const struct kb_run_result *r)
{
	return r->outcome == KB_RUN_INFRA && r->title && !strcmp(r->title, KB_RUN_CANCELLED);
}

void kb_run_tickets_init(struct kb_run_tickets *t)
{
	pthread_mutex_init(&t->lock, NULL);
	t->head = NULL;
}

void kb_run_tickets_destroy(struct kb_run_tickets *t)
{
	pthread_mutex_destroy(&t->lock);
}

void kb_run_ticket_take(struct kb_run_tickets *t, struct kb_run_ticket *k, const char *commit)
{
	k->commit = commit;
	atomic_init(&k->cancel, false);
	pthread_mutex_lock(&t->lock);
	k->next = t->head;
	t->head = k;
	pthread_mutex_unlock(&t->lock);
}

void kb_run_ticket_drop(struct kb_run_tickets *t, struct kb_run_ticket *k)
{
	pthread_mutex_lock(&t->lock);
	for (struct kb_run_ticket **p = &t->head; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	pthread_mutex_unlock(&t->lock);
}

unsigned kb_run_tickets_cancel(struct kb_run_tickets *t, const char *commit)
{
	unsigned n = 0;

	pthread_mutex_lock(&t->lock);
	for (struct kb_run_ticket *k = t->head; k; k = k->next)
		if (!strcmp(k->commit, commit)) {
			atomic_store(&k->cancel, true);
			n++;
		}
	pthread_mutex_unlock(&t->lock);
	return n;
}
