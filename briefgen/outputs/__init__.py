"""Stage 5, the files besides the pages: feeds, sitemap, exports, search index, manifest."""
