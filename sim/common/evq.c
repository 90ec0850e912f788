#include "evq.h"

#include <stdlib.h>
#include <string.h>

static bool before(const struct hv_evq_item *a, const struct hv_evq_item *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void swap(struct hv_evq_item *a, struct hv_evq_item *b)
{
    struct hv_evq_item t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(struct hv_evq *q, unsigned i)
{
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        if (!before(&q->heap[i], &q->heap[p]))
            break;
        swap(&q->heap[i], &q->heap[p]);
        i = p;
    }
}

static void sift_down(struct hv_evq *q, unsigned i)
{
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && before(&q->heap[l], &q->heap[m]))
            m = l;
        if (r < q->n && before(&q->heap[r], &q->heap[m]))
            m = r;
        if (m == i)
            return;
        swap(&q->heap[i], &q->heap[m]);
        i = m;
    }
}

void hv_evq_init(struct hv_evq *q)
{
    memset(q, 0, sizeof(*q));
}

void hv_evq_free(struct hv_evq *q)
{
    free(q->heap);
    memset(q, 0, sizeof(*q));
}

uint64_t hv_evq_add(struct hv_evq *q, uint64_t when, hv_evq_fn fn, void *ctx)
{
    if (q->n == q->cap) {
        unsigned cap = q->cap ? q->cap * 2 : 16;
        struct hv_evq_item *h = realloc(q->heap, cap * sizeof(*h));
        if (!h)
            return 0;
        q->heap = h;
        q->cap = cap;
    }
    struct hv_evq_item *it = &q->heap[q->n];
    it->when = when;
    it->seq = ++q->seq;
    it->fn = fn;
    it->ctx = ctx;
    it->id = it->seq;
    sift_up(q, q->n++);
    return q->seq;
}

static void remove_at(struct hv_evq *q, unsigned i)
{
    q->n--;
    if (i == q->n)
        return;
    q->heap[i] = q->heap[q->n];
    sift_down(q, i);
    sift_up(q, i);
}

bool hv_evq_cancel(struct hv_evq *q, uint64_t id)
{
    for (unsigned i = 0; i < q->n; i++) {
        if (q->heap[i].id == id) {
            remove_at(q, i);
            return true;
        }
    }
    return false;
}

uint64_t hv_evq_next(const struct hv_evq *q)
{
    return q->n ? q->heap[0].when : UINT64_MAX;
}

unsigned hv_evq_run_due(struct hv_evq *q, uint64_t now)
{
    unsigned ran = 0;
    while (q->n && q->heap[0].when <= now) {
        struct hv_evq_item it = q->heap[0];
        remove_at(q, 0);
        it.fn(it.ctx, now);
        ran++;
    }
    return ran;
}
