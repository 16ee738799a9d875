"""Interface strings in English and Chinese. Bank text carries its own translations."""

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"en": "studyapp", "zh": "studyapp"},
    "browse": {"en": "Browse", "zh": "浏览"},
    "language": {"en": "Language", "zh": "语言"},
    "search": {"en": "Search questions and answers", "zh": "搜索题目与答案"},
    "topic": {"en": "Topic", "zh": "主题"},
    "type": {"en": "Type", "zh": "题型"},
    "difficulty": {"en": "Difficulty", "zh": "难度"},
    "tag": {"en": "Tag", "zh": "标签"},
    "choose": {"en": "Any", "zh": "不限"},
    "answer": {"en": "Answer", "zh": "答案"},
    "options": {"en": "Options", "zh": "选项"},
    "sources": {"en": "Sources", "zh": "出处"},
    "related": {"en": "Related", "zh": "相关题目"},
    "correct": {"en": "Correct", "zh": "正确"},
    "wrong": {"en": "Wrong", "zh": "错误"},
    "shown_of": {"en": "{shown} of {total} questions", "zh": "显示 {shown} / {total} 道题"},
    "no_match": {"en": "No question matches these filters.", "zh": "没有符合筛选条件的题目。"},
    "broken_files": {
        "en": "{n} question file(s) could not be loaded and are left out. The other questions work.",
        "zh": "有 {n} 个题目文件无法加载，已跳过；其余题目正常可用。",
    },
    "empty_bank": {
        "en": "The question bank at `{path}` has no valid question yet.",
        "zh": "题库 `{path}` 中还没有有效的题目。",
    },
    "numeric_answer": {
        "en": "Answer: {value} {unit} (± {tolerance})",
        "zh": "答案：{value} {unit}（± {tolerance}）",
    },
    "type_recall": {"en": "Recall", "zh": "回忆"},
    "type_choice": {"en": "Multiple choice", "zh": "选择"},
    "type_numeric": {"en": "Numeric", "zh": "数值"},
    "difficulty_1": {"en": "Basic", "zh": "基础"},
    "difficulty_2": {"en": "Interview", "zh": "面试"},
    "difficulty_3": {"en": "Deep", "zh": "深入"},
}


def tr(key: str, lang: str, **values: object) -> str:
    """The interface string `key` in `lang`, formatted with `values`."""
    text = STRINGS[key].get(lang) or STRINGS[key]["en"]
    return text.format(**values) if values else text
