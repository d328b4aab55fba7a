#include <SDL2/SDL.h>
#include <stdio.h>
#include <stdlib.h>

#include "frontend/display.h"
#include "frontend/textmode.h"
#include "sim/machine.h"

struct sdl_display {
    const struct machine *m;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    uint32_t pixels[TEXT_WIDTH * TEXT_HEIGHT];
    uint8_t blank[TEXT_VRAM_SIZE];
};

struct sdl_display *display_sdl_open(const struct machine *m, char *err, size_t errlen)
{
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        snprintf(err, errlen, "cannot open a window: %s", SDL_GetError());
        return NULL;
    }
    struct sdl_display *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return NULL;
    }
    d->m = m;
    d->win = SDL_CreateWindow("hvsim", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, TEXT_WIDTH,
                              TEXT_HEIGHT, SDL_WINDOW_RESIZABLE);
    if (d->win) d->ren = SDL_CreateRenderer(d->win, -1, 0);
    if (d->ren) {
        SDL_RenderSetLogicalSize(d->ren, TEXT_WIDTH, TEXT_HEIGHT);
        d->tex = SDL_CreateTexture(d->ren, SDL_PIXELFORMAT_XRGB8888, SDL_TEXTUREACCESS_STREAMING,
                                   TEXT_WIDTH, TEXT_HEIGHT);
    }
    if (!d->tex) {
        snprintf(err, errlen, "cannot open a window: %s", SDL_GetError());
        display_sdl_close(d);
        return NULL;
    }
    display_sdl_update(d);
    return d;
}

bool display_sdl_update(struct sdl_display *d)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev))
        if (ev.type == SDL_QUIT) return false;
    /* Guest RAM below 1 MiB always exists (-m is at least 2 MiB). */
    const uint8_t *vram = machine_ram(d->m, TEXT_VRAM, TEXT_VRAM_SIZE);
    text_render(vram ? vram : d->blank, d->pixels);
    SDL_UpdateTexture(d->tex, NULL, d->pixels, TEXT_WIDTH * 4);
    SDL_RenderClear(d->ren);
    SDL_RenderCopy(d->ren, d->tex, NULL, NULL);
    SDL_RenderPresent(d->ren);
    return true;
}

void display_sdl_close(struct sdl_display *d)
{
    if (!d) return;
    if (d->tex) SDL_DestroyTexture(d->tex);
    if (d->ren) SDL_DestroyRenderer(d->ren);
    if (d->win) SDL_DestroyWindow(d->win);
    free(d);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
}
