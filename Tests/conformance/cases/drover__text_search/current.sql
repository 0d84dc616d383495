create text search dictionary simple_keep (template = simple, stopwords = english, accept = false);
create text search configuration docs (copy = english);
create text search configuration gone (parser = default);
