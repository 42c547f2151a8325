"""The files besides the pages: feeds, sitemap, exports, search index, manifest."""
