//! Embeddable product cards, oEmbed and badges: rendering (HTML and SVG), escaping and caching rules.
