/* hvsim: a simple I2C controller ("hvsim,simple-i2c") with a 24C02-style
 * EEPROM on its bus. The register model is hvsim's own, documented in
 * docs/soc.md ("The I2C controller"); it is small on purpose. The bus
 * timing and the EEPROM follow the I2C-bus specification (NXP UM10204) and
 * a 24C02 datasheet (256 bytes, 8-byte pages, 400 kHz fast mode).
 *
 * Registers (32-bit, offsets in the 4 KiB window):
 *   0x00 CTRL    bit 0 EN, bit 1 IEN (interrupt on DONE)
 *   0x04 CMD     write 1: START a transfer (write-only, reads 0)
 *   0x08 SADDR   6:0 the 7-bit target address
 *   0x0C LEN     3:0 bytes to write (0..8), 11:8 bytes to read (0..8)
 *   0x10 STATUS  bit 0 BUSY (read-only), bit 1 DONE, bit 2 NACK, bit 3 ERR
 *                (bits 1-3 write-1-to-clear)
 *   0x14 CLKDIV  15:0: SCL = functional clock / (2 x (CLKDIV + 1))
 *   0x20 TXDATA0 bytes 0-3 to send (byte 0 in bits 7:0), 0x24 TXDATA1 4-7
 *   0x30 RXDATA0 bytes 0-3 received, 0x34 RXDATA1 4-7 (read-only)
 *
 * A transfer: START, the address with W, LEN.W bytes, then (if LEN.R) a
 * repeated START, the address with R, LEN.R bytes read, STOP. It takes
 * 9 SCL periods per byte (address bytes included) plus one for START/STOP,
 * in virtual time; then STATUS.DONE (with NACK if the target did not
 * acknowledge) and the interrupt if IEN.
 *
 * What the bus needs (the machine passes it in hv_i2c_set_env):
 *  - a running functional clock: with none, the state machine stops and
 *    BUSY stays set (a driver times out); it resumes when the clock does;
 *  - SCL and SDA routed to the controller: otherwise the lines float high
 *    and the address is not acknowledged (NACK);
 *  - SCL at most 400 kHz, the EEPROM's fast mode: faster, it does not
 *    acknowledge (NACK).
 * Reset (hv_i2c_reset, called when the CRU asserts the soft reset) clears
 * every register and abandons a transfer.
 */
#ifndef HV_I2C_H
#define HV_I2C_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/clock.h"
#include "../common/observer.h"

#define HV_I2C_EEPROM_ADDR 0x50u
#define HV_I2C_EEPROM_SIZE 256u
#define HV_I2C_MAX_SCL_HZ  400000u

struct hv_i2c;

struct hv_i2c_io {
    void *ctx;
    void (*irq)(void *ctx, bool level); /* NULL: not wired */
    /* A transfer ended: ok = acknowledged throughout. */
    void (*done)(void *ctx, bool ok);
};

struct hv_i2c *hv_i2c_create(const char *name, const struct hv_i2c_io *io, struct hv_obs *obs,
                             const struct hv_clock *clk);
void hv_i2c_destroy(struct hv_i2c *c);
void hv_i2c_reset(struct hv_i2c *c);

/* The controller's surroundings: its functional clock and whether its pins
 * reach the bus. Changing them may resume or settle a transfer. */
void hv_i2c_set_env(struct hv_i2c *c, uint64_t fclk_hz, bool pins);

uint64_t hv_i2c_read(void *c, uint64_t off, unsigned size);
void hv_i2c_write(void *c, uint64_t off, unsigned size, uint64_t value);

/* The EEPROM's contents at power-on: byte i = i XOR 0xA5. */
uint8_t hv_i2c_eeprom_byte(const struct hv_i2c *c, unsigned addr);

#endif
