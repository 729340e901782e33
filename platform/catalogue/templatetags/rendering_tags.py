from django import template
from django.utils.safestring import mark_safe

from catalogue.rendering import render_markdown
from catalogue.selectors import topic_title

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    """Render Markdown with math as sanitized HTML; ``render_markdown`` escapes everything it does not allow."""
    return mark_safe(render_markdown(text or ""))


@register.filter(name="topic_title")
def topic_title_filter(topic: str) -> str:
    return topic_title(topic)
