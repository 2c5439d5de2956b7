/* calico-stars collect: the single-page UI (HTML, inline SVG and JavaScript;
 * no external resources). It fetches "graph" every second and draws it. */
#ifndef STARS_UI_H
#define STARS_UI_H

extern const char stars_ui_html[];

#endif
