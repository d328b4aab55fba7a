/* The SDL2 window: the VGA text screen (80x25 at physical 0xB8000, colour
 * attributes) drawn with hvsim's built-in bitmap font. */
#ifndef HVSIM_FRONTEND_DISPLAY_H
#define HVSIM_FRONTEND_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>

struct machine;
struct sdl_display;

/* NULL with a message when no window can be opened (no video device). */
struct sdl_display *display_sdl_open(const struct machine *m, char *err, size_t errlen);
/* Redraw and handle window events; false once the window was closed. */
bool display_sdl_update(struct sdl_display *d);
void display_sdl_close(struct sdl_display *d);

#endif
