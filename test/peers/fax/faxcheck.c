/*
 * faxcheck: fax a TIFF through Debian's libspandsp — a T.30 sender and a receiver, each a full
 * fax_state_t (V.17/V.29/V.27ter modems over 8 kHz audio), wired back to back in memory.
 * Usage: faxcheck IN.tif OUT.tif [ecm] [drop=N]
 * drop=N: the line goes dead once the receiver has N pages (N=0: one second into the call), and both
 * ends are terminated as mod_spandsp's spanfax_destroy() does when the channel hangs up (t30_terminate).
 * Prints one JSON line: {"ok":…,"status":N,"status_text":"…","pages_tx":N,"pages_rx":N,"pages_in_file":N,
 *                        "width":N,"x_resolution":N,"y_resolution":N,"bit_rate":N,"ecm":N,
 *                        "rx":{"status":N,"status_text":"…","pages":N,"pages_in_file":N,"x_resolution":N,
 *                              "y_resolution":N,"bit_rate":N,"ecm":N,"remote_ident":"…"}}
 * "rx" is the receiver's own account, read in its phase E handler as mod_spandsp's phase_e_handler reads
 * it for rxfax's fax_* variables. Exit 0 when the call completed with T30_ERR_OK and every page arrived.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

static int done[2] = {0, 0};
static int result[2] = {-1, -1};

static t30_stats_t rx_at_e;
static char rx_ident[64] = "";

static void phase_e(t30_state_t *s, void *user_data, int completion_code) {
    int i = (int) (intptr_t) user_data;
    done[i] = 1;
    result[i] = completion_code;
    if (i == 1) {
        t30_get_transfer_statistics(s, &rx_at_e);
        const char *far = t30_get_rx_ident(s);
        snprintf(rx_ident, sizeof(rx_ident), "%s", far ? far : "");
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: faxcheck IN.tif OUT.tif [ecm]\n");
        return 2;
    }
    int ecm = 0;
    long drop = -1;
    for (int a = 3; a < argc; a++) {
        if (strcmp(argv[a], "ecm") == 0) ecm = 1;
        else if (strncmp(argv[a], "drop=", 5) == 0) drop = atol(argv[a] + 5);
    }
    fax_state_t *fax[2];
    t30_state_t *t30[2];
    for (int i = 0; i < 2; i++) {
        fax[i] = fax_init(NULL, i == 0);
        t30[i] = fax_get_t30_state(fax[i]);
        fax_set_transmit_on_idle(fax[i], 1);
        t30_set_tx_ident(t30[i], i == 0 ? "switchpost" : "receiver");
        t30_set_ecm_capability(t30[i], ecm);
        t30_set_supported_compressions(t30[i], T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION);
        t30_set_phase_e_handler(t30[i], phase_e, (void *) (intptr_t) i);
    }
    t30_set_tx_file(t30[0], argv[1], -1, -1);
    t30_set_rx_file(t30[1], argv[2], -1);

    int16_t buf[2][160];
    /* Ten minutes of simulated line time at most. */
    for (long n = 0; n < 8000L * 600 / 160 && !(done[0] && done[1]); n++) {
        for (int i = 0; i < 2; i++) {
            int len = fax_tx(fax[i], buf[i], 160);
            if (len < 160) memset(buf[i] + len, 0, (160 - len) * sizeof(int16_t));
        }
        fax_rx(fax[1], buf[0], 160);
        fax_rx(fax[0], buf[1], 160);
        if (drop >= 0) {
            t30_stats_t now;
            t30_get_transfer_statistics(t30[1], &now);
            if ((drop > 0 && now.pages_rx >= drop) || (drop == 0 && n >= 8000 / 160)) {
                t30_terminate(t30[1]);
                t30_terminate(t30[0]);
                break;
            }
        }
    }
    t30_stats_t tx, rx;
    t30_get_transfer_statistics(t30[0], &tx);
    t30_get_transfer_statistics(t30[1], &rx);
    int ok = done[0] && result[0] == T30_ERR_OK && rx.pages_rx == tx.pages_in_file && tx.pages_in_file > 0;
    printf("{\"ok\":%s,\"status\":%d,\"status_text\":\"%s\",\"pages_tx\":%d,\"pages_rx\":%d,\"pages_in_file\":%d,\"width\":%d,\"x_resolution\":%d,\"y_resolution\":%d,\"bit_rate\":%d,\"ecm\":%d,",
           ok ? "true" : "false", result[0], t30_completion_code_to_str(result[0]), tx.pages_tx, rx.pages_rx, tx.pages_in_file,
           rx.width, rx.x_resolution, rx.y_resolution, rx.bit_rate, rx.error_correcting_mode);
    printf("\"rx\":{\"status\":%d,\"status_text\":\"%s\",\"pages\":%d,\"pages_in_file\":%d,\"x_resolution\":%d,\"y_resolution\":%d,\"bit_rate\":%d,\"ecm\":%d,\"remote_ident\":\"%s\"}}\n",
           result[1], t30_completion_code_to_str(result[1]), rx_at_e.pages_rx, rx_at_e.pages_in_file, rx_at_e.x_resolution,
           rx_at_e.y_resolution, rx_at_e.bit_rate, rx_at_e.error_correcting_mode, rx_ident);
    fax_release(fax[0]);
    fax_release(fax[1]);
    return ok ? 0 : 1;
}
