/* Rendering the VGA text screen (80x25 cells of character + attribute at
 * physical 0xB8000) into 32-bit pixels with hvsim's built-in font. Pure
 * function, no SDL: the window just shows the result. */
#ifndef HVSIM_FRONTEND_TEXTMODE_H
#define HVSIM_FRONTEND_TEXTMODE_H

#include <stdint.h>

#define TEXT_COLS      80
#define TEXT_ROWS      25
#define TEXT_VRAM      0xB8000ull
#define TEXT_VRAM_SIZE (TEXT_COLS * TEXT_ROWS * 2)
#define TEXT_CELL_W    8
#define TEXT_CELL_H    16
#define TEXT_WIDTH     (TEXT_COLS * TEXT_CELL_W)
#define TEXT_HEIGHT    (TEXT_ROWS * TEXT_CELL_H)

/* The 16-colour text palette, 0x00RRGGBB (IBM VGA defaults). */
extern const uint32_t text_palette[16];

/* Whether pixel (x, y) of the 8x16 cell of character `ch` is foreground. */
int text_glyph_pixel(uint8_t ch, unsigned x, unsigned y);

/* Render vram (TEXT_VRAM_SIZE bytes) to pixels (TEXT_WIDTH x TEXT_HEIGHT,
 * row-major, 0x00RRGGBB). Attribute bits 3:0 foreground, 6:4 background;
 * bit 7 (blink) is shown as steady. */
void text_render(const uint8_t *vram, uint32_t *pixels);

#endif
