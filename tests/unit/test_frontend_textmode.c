/* The VGA text renderer: glyph shapes, colours from attributes, cell
 * placement; and the exit-status mapping of the report. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/options.h"
#include "frontend/report.h"
#include "frontend/textmode.h"

static uint32_t pixels[TEXT_WIDTH * TEXT_HEIGHT];
static uint8_t vram[TEXT_VRAM_SIZE];

static uint32_t px(unsigned x, unsigned y)
{
    return pixels[y * TEXT_WIDTH + x];
}

START_TEST(space_is_blank_and_block_is_full)
{
    for (unsigned y = 0; y < TEXT_CELL_H; y++)
        for (unsigned x = 0; x < TEXT_CELL_W; x++) {
            ck_assert_int_eq(text_glyph_pixel(' ', x, y), 0);
            ck_assert_int_eq(text_glyph_pixel(0, x, y), 0);
            ck_assert_int_eq(text_glyph_pixel(0xdb, x, y), 1);
        }
    ck_assert_int_eq(text_glyph_pixel('A', 8, 0), 0); /* out of the cell */
    ck_assert_int_eq(text_glyph_pixel('A', 0, 16), 0);
}
END_TEST

START_TEST(glyphs_have_their_shape)
{
    /* 'I': top row is the bar across columns 2..4, middle is column 3. */
    ck_assert_int_eq(text_glyph_pixel('I', 2, 1), 1);
    ck_assert_int_eq(text_glyph_pixel('I', 4, 2), 1);
    ck_assert_int_eq(text_glyph_pixel('I', 1, 1), 0);
    ck_assert_int_eq(text_glyph_pixel('I', 3, 7), 1);
    ck_assert_int_eq(text_glyph_pixel('I', 2, 7), 0);
    /* '-' is one horizontal bar in font row 3 (pixels 7 and 8). */
    for (unsigned x = 1; x <= 5; x++) {
        ck_assert_int_eq(text_glyph_pixel('-', x, 7), 1);
        ck_assert_int_eq(text_glyph_pixel('-', x, 8), 1);
        ck_assert_int_eq(text_glyph_pixel('-', x, 6), 0);
    }
    /* Every printable glyph but space has some ink; distinct glyphs differ. */
    for (int c = 0x21; c <= 0x7e; c++) {
        int ink = 0;
        for (unsigned y = 0; y < TEXT_CELL_H; y++)
            for (unsigned x = 0; x < TEXT_CELL_W; x++)
                ink += text_glyph_pixel((uint8_t)c, x, y);
        ck_assert_msg(ink > 0, "glyph 0x%02x is empty", c);
    }
    int diff = 0;
    for (unsigned y = 0; y < TEXT_CELL_H; y++)
        for (unsigned x = 0; x < TEXT_CELL_W; x++)
            diff += text_glyph_pixel('O', x, y) != text_glyph_pixel('0', x, y);
    ck_assert_int_gt(diff, 0);
}
END_TEST

START_TEST(render_uses_attribute_colours_and_cells)
{
    memset(vram, 0, sizeof vram);
    /* Row 1, column 2: white (0xf) 0xdb on blue (1). */
    vram[(1 * TEXT_COLS + 2) * 2] = 0xdb;
    vram[(1 * TEXT_COLS + 2) * 2 + 1] = 0x1f;
    /* Row 0, column 0: space, red background (4), blink bit set. */
    vram[0] = ' ';
    vram[1] = 0xc0 | 0x07;
    text_render(vram, pixels);
    ck_assert_uint_eq(px(2 * 8, 1 * 16), 0xffffff);
    ck_assert_uint_eq(px(2 * 8 + 7, 1 * 16 + 15), 0xffffff);
    ck_assert_uint_eq(px(2 * 8 - 1, 1 * 16), 0x000000); /* neighbour cell: black */
    ck_assert_uint_eq(px(0, 0), text_palette[4]);       /* blink shown as steady bg 4 */
    ck_assert_uint_eq(px(79 * 8 + 7, 24 * 16 + 15), 0x000000);
}
END_TEST

START_TEST(exit_status_mapping)
{
    struct machine_stop st = {0};
    st.reason = MSTOP_DEBUG_EXIT;
    st.status = (3 << 1) | 1;
    ck_assert_int_eq(report_exit_status(&st, HV_HOST_NONE), 7);
    st.reason = MSTOP_SHUTDOWN;
    ck_assert_int_eq(report_exit_status(&st, HV_HOST_NONE), HV_EXIT_TRIPLE_FAULT);
    st.reason = MSTOP_RESET;
    ck_assert_int_eq(report_exit_status(&st, HV_HOST_NONE), HV_EXIT_OK);
    st.reason = MSTOP_IDLE;
    ck_assert_int_eq(report_exit_status(&st, HV_HOST_NONE), HV_EXIT_OK);
    st.reason = MSTOP_INSN_LIMIT;
    ck_assert_int_eq(report_exit_status(&st, HV_HOST_NONE), HV_EXIT_LIMIT);
    st.reason = MSTOP_VTIME_LIMIT;
    ck_assert_int_eq(report_exit_status(&st, HV_HOST_NONE), HV_EXIT_LIMIT);
    st.reason = MSTOP_HOST_REQUEST;
    ck_assert_int_eq(report_exit_status(&st, HV_HOST_TIMEOUT), HV_EXIT_LIMIT);
    ck_assert_int_eq(report_exit_status(&st, HV_HOST_SIGNAL), HV_EXIT_OK);
    st.reason = MSTOP_ERROR;
    ck_assert_int_eq(report_exit_status(&st, HV_HOST_NONE), HV_EXIT_ERROR);
    char buf[128];
    st.reason = MSTOP_DEBUG_EXIT;
    report_reason(buf, sizeof buf, &st, HV_HOST_NONE);
    ck_assert_str_eq(buf, "isa-debug-exit (guest wrote 3)");
    st.reason = MSTOP_SHUTDOWN;
    strcpy(st.info, "vCPU 0: triple fault");
    report_reason(buf, sizeof buf, &st, HV_HOST_NONE);
    ck_assert_str_eq(buf, "triple fault: vCPU 0: triple fault");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("frontend_textmode");
    TCase *tc = tcase_create("render");
    tcase_add_test(tc, space_is_blank_and_block_is_full);
    tcase_add_test(tc, glyphs_have_their_shape);
    tcase_add_test(tc, render_uses_attribute_colours_and_cells);
    tcase_add_test(tc, exit_status_mapping);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
