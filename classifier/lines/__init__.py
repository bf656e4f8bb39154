"""The line model: a page's lines in, P(body) of each line out.

* ``html`` — HTML to visible text blocks, one per line (``_html.c``: the
  walk in C); ``dom`` — each block's place in the markup, for the HTML
  model;
* ``features`` — the line features, small transformers with one job each
  (``_lines.c``: their character statistics and page scans in C);
  ``page_words`` — what a page's own words say of each line;
  ``templates`` — lines a site repeats on its pages;
* ``model`` — the stacked line classifier of the text and HTML paths;
  ``trees`` — its gradient-boosted trees scored in C (``_trees.c``);
  ``blend`` — from HTML, both line models' scores of a line, weighed
  (``blend_weight``: the weight's default and check, read without the
  models' libraries).

Nothing is imported here: ``classifier.batch``'s driver stays light.
"""
