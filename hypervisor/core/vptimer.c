/* See vptimer.h. */
#include "vptimer.h"

int vptimer_reg_of_iss(uint32_t iss)
{
    unsigned op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7, op1 = (iss >> 14) & 7;
    unsigned crn = (iss >> 10) & 15, crm = (iss >> 1) & 15;
    if (op0 != 3 || op1 != 3 || crn != 14 || crm != 2 || op2 > 2)
        return -1;
    return (int)op2;
}

void vptimer_reset(struct vptimer *t)
{
    /* CNTP_CTL_EL0.ENABLE resets to 0 (D19.12); CVAL is UNKNOWN: 0. */
    t->ctl = 0;
    t->cval = 0;
}

bool vptimer_istatus(const struct vptimer *t, uint64_t count)
{
    return (t->ctl & VPT_CTL_ENABLE) && count >= t->cval;
}

bool vptimer_output(const struct vptimer *t, uint64_t count)
{
    return vptimer_istatus(t, count) && !(t->ctl & VPT_CTL_IMASK);
}

uint64_t vptimer_read(const struct vptimer *t, enum vptimer_reg r, uint64_t count)
{
    switch (r) {
    case VPT_CTL:
        return t->ctl | (vptimer_istatus(t, count) ? VPT_CTL_ISTATUS : 0);
    case VPT_CVAL:
        return t->cval;
    case VPT_TVAL:
        return (uint32_t)(t->cval - count);
    }
    return 0;
}

void vptimer_write(struct vptimer *t, enum vptimer_reg r, uint64_t value, uint64_t count)
{
    switch (r) {
    case VPT_CTL:
        t->ctl = (uint32_t)value & (VPT_CTL_ENABLE | VPT_CTL_IMASK);
        break;
    case VPT_CVAL:
        t->cval = value;
        break;
    case VPT_TVAL:
        t->cval = count + (uint64_t)(int64_t)(int32_t)(uint32_t)value;
        break;
    }
}

uint64_t vptimer_deadline(const struct vptimer *t, uint64_t count)
{
    if ((t->ctl & (VPT_CTL_ENABLE | VPT_CTL_IMASK)) != VPT_CTL_ENABLE || count >= t->cval)
        return UINT64_MAX;
    return t->cval;
}
