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
    "today": {"en": "Today", "zh": "今日"},
    "quiz": {"en": "Quiz", "zh": "测验"},
    "review": {"en": "Review", "zh": "复习"},
    "stats": {"en": "Statistics", "zh": "统计"},
    "settings": {"en": "Settings", "zh": "设置"},
    "show_answer": {"en": "Show answer", "zh": "显示答案"},
    "think_first": {
        "en": "Answer in your head (or out loud), then reveal and rate how well you knew it.",
        "zh": "先在心里（或大声）作答，再显示答案，并评价自己掌握得如何。",
    },
    "rate_again": {"en": "Again", "zh": "重来"},
    "rate_hard": {"en": "Hard", "zh": "困难"},
    "rate_good": {"en": "Good", "zh": "良好"},
    "rate_easy": {"en": "Easy", "zh": "简单"},
    "submit": {"en": "Check answer", "zh": "提交答案"},
    "select_all": {"en": "Select every correct option.", "zh": "选出所有正确选项。"},
    "select_one": {"en": "Select one option.", "zh": "选择一个选项。"},
    "your_number": {"en": "Your answer", "zh": "你的答案"},
    "not_a_number": {
        "en": "“{text}” is not a number. Examples: 124439808, 124,439,808, 1.2e8, 124.4M.",
        "zh": "“{text}” 不是数字。示例：124439808、124,439,808、1.2e8、124.4M。",
    },
    "pick_something": {"en": "Select an option first.", "zh": "请先选择一个选项。"},
    "right": {"en": "Right.", "zh": "回答正确。"},
    "wrong_answer": {"en": "Not quite.", "zh": "回答错误。"},
    "you_said": {"en": "You answered {value}.", "zh": "你的答案是 {value}。"},
    "saved": {
        "en": "Saved as **{rating}**. Next review in {interval}.",
        "zh": "已记录为 **{rating}**，下次复习在 {interval} 后。",
    },
    "next": {"en": "Next question", "zh": "下一题"},
    "undo": {"en": "Undo this answer", "zh": "撤销这次作答"},
    "finish": {"en": "Finish", "zh": "完成"},
    "count": {"en": "Number of questions", "zh": "题目数量"},
    "start_quiz": {"en": "Start quiz", "zh": "开始测验"},
    "new_quiz": {"en": "New quiz", "zh": "新测验"},
    "quiz_progress": {"en": "Question {i} of {n}", "zh": "第 {i} / {n} 题"},
    "quiz_done": {
        "en": "Quiz finished: {right} of {n} right or recalled.",
        "zh": "测验完成：{n} 题中答对或记得 {right} 题。",
    },
    "missed": {"en": "To look at again", "zh": "需要再看的题目"},
    "nothing_missed": {"en": "Nothing missed. Well done.", "zh": "全部答对，做得好。"},
    "no_questions_for_filters": {
        "en": "No question matches these filters.",
        "zh": "没有符合条件的题目。",
    },
    "due_now": {"en": "Due now", "zh": "待复习"},
    "new_available": {"en": "New today", "zh": "今日新题"},
    "reviewed_today": {"en": "Reviewed today", "zh": "今日已复习"},
    "streak": {"en": "Streak (days)", "zh": "连续天数"},
    "start_review": {"en": "Start reviewing", "zh": "开始复习"},
    "mastery": {"en": "Mastery per topic", "zh": "各主题掌握度"},
    "mastered": {"en": "mastered", "zh": "已掌握"},
    "seen": {"en": "seen", "zh": "已学"},
    "unseen": {"en": "not yet seen", "zh": "未学"},
    "queue_empty": {
        "en": "Nothing is due and today's new questions are done. Come back tomorrow, or take a quiz.",
        "zh": "没有待复习的题目，今天的新题也已完成。明天再来，或者做一次测验。",
    },
    "left_in_queue": {"en": "{n} left in today's queue", "zh": "今日队列还剩 {n} 题"},
    "new_question": {"en": "new", "zh": "新题"},
    "due_question": {"en": "due", "zh": "到期"},
    "filter_status": {"en": "Status", "zh": "状态"},
    "status_due": {"en": "Due", "zh": "到期"},
    "status_new": {"en": "Never seen", "zh": "从未学过"},
    "status_seen": {"en": "Seen", "zh": "学过"},
    "filter_any": {"en": "{name}: any", "zh": "{name}：不限"},
    "status_again": {"en": "Last rated Again", "zh": "上次评为“重来”"},
    "status_hard": {"en": "Last rated Hard", "zh": "上次评为“困难”"},
    "status_good": {"en": "Last rated Good", "zh": "上次评为“良好”"},
    "status_easy": {"en": "Last rated Easy", "zh": "上次评为“简单”"},
    "due_now_card": {"en": "due now", "zh": "现在到期"},
    "due_on": {"en": "due {date}", "zh": "{date} 到期"},
    "page": {"en": "Page (of {n})", "zh": "页码（共 {n} 页）"},
    "page_range": {"en": "{a}–{b} on this page", "zh": "本页第 {a}–{b} 道"},
    "query_cut": {
        "en": "The search was cut to its first {n} characters.",
        "zh": "搜索内容过长，只保留了前 {n} 个字符。",
    },
    "unknown_question": {
        "en": "There is no question with id “{id}” in the bank.",
        "zh": "题库中没有 id 为“{id}”的题目。",
    },
    "again": {"en": "Answer it again", "zh": "再答一次"},
    "state_new": {"en": "New", "zh": "新题"},
    "state_learning": {"en": "Learning", "zh": "学习中"},
    "state_review": {"en": "Review", "zh": "复习中"},
    "state_relearning": {"en": "Relearning", "zh": "重学中"},
    "true_retention": {"en": "True retention", "zh": "实际记忆保持率"},
    "true_retention_help": {
        "en": "Share of reviews of cards in Review state that were not rated Again. Your target is {target}.",
        "zh": "处于复习状态的卡片中，未被评为“重来”的复习所占比例。你的目标是 {target}。",
    },
    "reviews_per_day": {"en": "Reviews per day", "zh": "每日复习量"},
    "accuracy_over_time": {"en": "Accuracy over time", "zh": "正确率变化"},
    "accuracy": {"en": "accuracy", "zh": "正确率"},
    "no_reviews_yet": {
        "en": "No reviews yet: answer a few questions first.",
        "zh": "还没有复习记录，先答几道题吧。",
    },
    "upcoming": {"en": "Upcoming reviews (next 30 days)", "zh": "未来 30 天的复习量"},
    "due_cards": {"en": "due", "zh": "到期"},
    "nothing_scheduled": {
        "en": "Nothing scheduled yet: questions you answer come back here on their due days.",
        "zh": "还没有安排复习：答过的题会按到期日出现在这里。",
    },
    "period": {"en": "Period", "zh": "时间范围"},
    "period_month": {"en": "1 month", "zh": "1 个月"},
    "period_quarter": {"en": "3 months", "zh": "3 个月"},
    "period_year": {"en": "1 year", "zh": "1 年"},
    "period_all": {"en": "All", "zh": "全部"},
    "profile": {"en": "Profile", "zh": "用户档案"},
    "default_language": {"en": "Language on start", "zh": "启动时的语言"},
    "desired_retention": {"en": "Desired retention", "zh": "目标记忆保持率"},
    "desired_retention_help": {
        "en": "The chance of recalling a card when it comes due. Higher means shorter intervals and more reviews.",
        "zh": "卡片到期时能回忆起来的概率。越高，间隔越短，复习越多。",
    },
    "new_per_day": {"en": "New questions per day", "zh": "每日新题数量"},
    "save": {"en": "Save", "zh": "保存"},
    "saved_settings": {"en": "Settings saved.", "zh": "设置已保存。"},
    "manage_profiles": {"en": "Profiles", "zh": "管理用户档案"},
    "new_profile_name": {"en": "Name", "zh": "名称"},
    "create_profile": {"en": "Create", "zh": "新建"},
    "rename_profile": {"en": "Rename this profile", "zh": "重命名当前档案"},
    "delete_profile": {"en": "Delete this profile", "zh": "删除当前档案"},
    "export_import": {"en": "Export and import progress", "zh": "导出与导入学习进度"},
    "export": {"en": "Export progress (JSON)", "zh": "导出进度（JSON）"},
    "import": {"en": "Import a progress file", "zh": "导入进度文件"},
    "import_button": {"en": "Import into this profile", "zh": "导入到当前档案"},
    "import_failed": {"en": "Nothing was imported: {error}", "zh": "未导入任何内容：{error}"},
    "imported": {
        "en": "Imported {added} reviews ({duplicates} were already here).",
        "zh": "已导入 {added} 条复习记录（其中 {duplicates} 条已存在）。",
    },
    "anki_deck": {"en": "Anki deck", "zh": "Anki 卡组"},
    "anki_deck_help": {
        "en": "Every question as an Anki note, in a sub-deck per topic. Importing a newer deck "
        "updates the notes already in Anki, with their review history, instead of adding copies.",
        "zh": "每道题是一条 Anki 笔记，每个主题一个子卡组。导入更新后的卡组时，会更新 Anki "
        "中已有的笔记并保留其复习记录，而不会重复添加。",
    },
    "anki_language": {"en": "Card language", "zh": "卡片语言"},
    "anki_both": {"en": "Both (English and Chinese)", "zh": "中英双语"},
    "anki_download": {"en": "Download the Anki deck (.apkg)", "zh": "下载 Anki 卡组（.apkg）"},
    "question": {"en": "Question", "zh": "题目"},
    "questions": {"en": "questions", "zh": "题目数"},
    "reviews": {"en": "reviews", "zh": "复习次数"},
    "demos": {"en": "Demos", "zh": "演示"},
    "pick_demo": {"en": "Demo", "zh": "演示"},
    "demo_questions": {"en": "Questions it proves:", "zh": "它所证明的题目："},
    "live_demo": {"en": "Live demo: run the proof", "zh": "在线演示：运行证明"},
    "run_demo": {"en": "Run", "zh": "运行"},
    "bad_param": {"en": "This value cannot be used: {error}", "zh": "无法使用这个参数值：{error}"},
    "demo_failed": {"en": "The demo failed: {error}", "zh": "演示运行失败：{error}"},
    "details": {"en": "Details", "zh": "详情"},
    "training": {"en": "Training a tiny model…", "zh": "正在训练一个小模型……"},
    "press_run": {
        "en": "Press Run to train this model: it takes about half a minute on a laptop CPU, and "
        "nothing trains before you press it. The run goes on if you change the language or the page.",
        "zh": "按“运行”开始训练这个模型：在笔记本电脑的 CPU 上大约需要半分钟，不按就不会训练。"
        "训练开始后，切换语言或页面都不会打断它。",
    },
    "queued": {
        "en": "In line: {n} training run(s) before yours. This server trains one model at a time.",
        "zh": "排队中：前面还有 {n} 个训练任务。本服务器一次只训练一个模型。",
    },
    "queue_full": {
        "en": "{n} training runs are already waiting. Try again when one has finished.",
        "zh": "已有 {n} 个训练任务在排队，请等其中一个完成后再试。",
    },
    # A finished training run, shown from memory or from the disk cache after a restart.
    "trained_now": {"en": "Trained just now", "zh": "刚刚训练完成"},
    "trained_minutes": {"en": "Trained {n} minute{s} ago", "zh": "{n} 分钟前训练"},
    "trained_hours": {"en": "Trained {n} hour{s} ago", "zh": "{n} 小时前训练"},
    "trained_days": {"en": "Trained {n} day{s} ago", "zh": "{n} 天前训练"},
    "train_again": {"en": "Train again", "zh": "重新训练"},
    "train_again_help": {
        "en": "Train a fresh model with these settings; its result replaces the saved one.",
        "zh": "用这些设置重新训练一个模型，新结果会替换已保存的结果。",
    },
    "check_line": {"en": "{claim}. {detail}", "zh": "{claim}。{detail}"},
    "computing": {"en": "Computing…", "zh": "计算中……"},
    "show_code": {"en": "The code that produced this", "zh": "生成这些结果的代码"},
    "answer": {"en": "Answer", "zh": "答案"},
    "options": {"en": "Options", "zh": "选项"},
    "sources": {"en": "Sources", "zh": "出处"},
    "related": {"en": "Related", "zh": "相关题目"},
    "correct": {"en": "Correct", "zh": "正确"},
    "wrong": {"en": "Wrong", "zh": "错误"},
    "shown_of": {"en": "{shown} of {total} questions", "zh": "显示 {shown} / {total} 道题"},
    "no_match": {"en": "No question matches these filters.", "zh": "没有符合筛选条件的题目。"},
    "meaning_search_missing": {
        "en": "Search matches words. With the optional extra (pip install 'studyapp[real]'), "
        "English searches also find questions that mean what you typed in other words.",
        "zh": "当前搜索按词匹配。安装可选扩展（pip install 'studyapp[real]'）后，英文搜索还能按意思"
        "找到换了说法的题目。",
    },
    "meaning_search_loading": {"en": "Searching by meaning…", "zh": "正在按意思搜索…"},
    "meaning_search_building": {
        "en": "Search by meaning is reading the {n} questions (once per version of the bank, "
        "about a minute); until then, these results match your words.",
        "zh": "按意思搜索正在读取 {n} 道题（题库每个版本只需一次，约一分钟）；在此之前，下面的结果"
        "按词匹配。",
    },
    "broken_files": {
        "en": "{n} question file(s) could not be loaded and are left out. The other questions work.",
        "zh": "有 {n} 个题目文件无法加载，已跳过；其余题目正常可用。",
    },
    "empty_bank": {
        "en": "The question bank at “{path}” has no valid question yet.",
        "zh": "题库“{path}”中还没有有效的题目。",
    },
    "numeric_answer": {
        "en": "Answer: {value} {unit} (± {tolerance})",
        "zh": "答案：{value} {unit}（± {tolerance}）",
    },
    "type_recall": {"en": "Recall", "zh": "回忆"},
    "type_choice": {"en": "Multiple choice", "zh": "选择"},
    "type_numeric": {"en": "Numeric", "zh": "数值"},
    "type_code": {"en": "Code", "zh": "编程"},
    "difficulty_1": {"en": "Basic", "zh": "基础"},
    "difficulty_2": {"en": "Interview", "zh": "面试"},
    "difficulty_3": {"en": "Deep", "zh": "深入"},
    "active_profile": {
        "en": "The profile this browser tab studies in. Click to change it.",
        "zh": "当前浏览器标签页使用的用户档案。点击可切换。",
    },
    "profile_help": {
        "en": "Only this browser tab switches: other tabs and devices keep their own profile.",
        "zh": "只切换当前浏览器标签页：其他标签页和设备保持各自的档案。",
    },
    "is_default_profile": {
        "en": "New sessions open in this profile.",
        "zh": "新会话默认使用这个档案。",
    },
    "make_default_profile": {
        "en": "Open new sessions in this profile",
        "zh": "新会话默认使用这个档案",
    },
    "delete_profile_confirm": {
        "en": "To delete this profile and all its reviews, type its name: {name}",
        "zh": "要删除这个档案及其全部复习记录，请输入它的名称：{name}",
    },
    "importing": {"en": "Importing…", "zh": "正在导入……"},
    "period_empty": {
        "en": "No reviews in this period ({period}). Choose a longer one to see earlier days.",
        "zh": "这段时间（{period}）内没有复习记录。选择更长的时间范围可查看更早的记录。",
    },
    "date": {"en": "Date", "zh": "日期"},
    "topic_alignment": {"en": "Fine-tuning and alignment", "zh": "微调与对齐"},
    "topic_architecture": {"en": "Architecture", "zh": "模型结构"},
    "topic_attention": {"en": "Attention", "zh": "注意力机制"},
    "topic_bert": {"en": "BERT", "zh": "BERT"},
    "topic_bert-family": {"en": "The BERT family", "zh": "BERT 家族"},
    "topic_decoding": {"en": "Decoding", "zh": "解码"},
    "topic_generation": {"en": "Generation methods", "zh": "生成方法"},
    "topic_gpt": {"en": "GPT", "zh": "GPT"},
    "topic_llm-architecture": {"en": "LLM architecture", "zh": "大模型结构"},
    "topic_mlm-loss": {"en": "MLM loss", "zh": "MLM 损失"},
    "topic_positions": {"en": "Positions", "zh": "位置编码"},
    "topic_pretraining": {"en": "Pretraining", "zh": "预训练"},
    "topic_serving": {"en": "Serving", "zh": "推理部署"},
    "topic_sizes": {"en": "Model sizes", "zh": "模型规模"},
    "topic_tokenization": {"en": "Tokenization", "zh": "分词"},
    # study flow: choosing what to study, fair grading, interview (issue 12)
    "rated_unscheduled": {
        "en": "Rated **{rating}**. The schedule is not changed.",
        "zh": "评为 **{rating}**，复习计划不变。",
    },
    "choice_keys": {
        "en": "Keys: 1–{last} or A–{letter} pick an option, Enter checks.",
        "zh": "快捷键：按 1–{last} 或 A–{letter} 选择选项，按 Enter 提交。",
    },
    "number_examples": {
        "en": "e.g. 124,439,808 · 124M · 3.14e23 · 120 GB",
        "zh": "例如 124,439,808、124M、3.14e23、1.2亿",
    },
    "close_answer": {
        "en": "Close: within 1 % of the answer, but not exact.",
        "zh": "很接近：与答案相差不到 1%，但不精确。",
    },
    "change_rating": {
        "en": "Proposed rating: {proposed}. A lucky guess, or a near miss? Change it.",
        "zh": "建议评分：{proposed}。是蒙对的，还是差一点？可以修改。",
    },
    "rating_keys": {
        "en": "Keys: 1–4 rate, Enter keeps the proposed rating.",
        "zh": "快捷键：按 1–4 评分，按 Enter 保留建议评分。",
    },
    "all_topics": {"en": "all topics", "zh": "全部主题"},
    "studying": {"en": "Studying: {what}", "zh": "学习范围：{what}"},
    "counters": {
        "en": ":blue[**New** {new}] · :red[**Learning** {learning}] · :green[**Review** {review}]",
        "zh": ":blue[**新题** {new}] · :red[**学习中** {learning}] · :green[**待复习** {review}]",
    },
    "learning_question": {"en": "learning", "zh": "学习中"},
    "session_done": {"en": "This session", "zh": "本次学习"},
    "reviewed": {"en": "Reviewed", "zh": "已复习"},
    "right_share": {"en": "Right or recalled", "zh": "答对或记得"},
    "time_spent": {"en": "Time", "zh": "用时"},
    "what_next": {
        "en": "Next: tomorrow {due} due, and up to {new} new questions.",
        "zh": "接下来：明天有 {due} 道到期，另有最多 {new} 道新题。",
    },
    "learn_ahead_wait": {
        "en": "{n} question(s) still being learnt come back within 20 minutes. "
        "The next one is due in {time} and appears here by itself.",
        "zh": "{n} 道还在学习中的题会在 20 分钟内回来。下一道还有 {time} 到期，"
        "到时会自动出现在这里。",
    },
    "learn_ahead_now": {"en": "Study it now", "zh": "现在就学"},
    "reschedule": {
        "en": "Reschedule cards based on my answers",
        "zh": "根据我的作答调整复习计划",
    },
    "reschedule_help": {
        "en": "On: every answer is a review, as in Review, and a new question counts against "
        "today's limit. Off: practice only; the schedule and today's new questions stay as they are.",
        "zh": "开启：每次作答都算一次复习（与“复习”页相同），新题计入今日上限。"
        "关闭：只是练习，复习计划和今日新题数都不变。",
    },
    "quiz_unscheduled": {
        "en": "Practice: answers do not change the schedule.",
        "zh": "练习模式：作答不会改变复习计划。",
    },
    "time_spent_total": {"en": "Time: {time}", "zh": "用时：{time}"},
    "schedule_updated": {"en": "the schedule was updated", "zh": "复习计划已更新"},
    "schedule_untouched": {"en": "the schedule was not changed", "zh": "复习计划没有改变"},
    "interview": {"en": "Interview", "zh": "模拟面试"},
    "interview_intro": {
        "en": "A timed mock interview. Answer each question as you would to an interviewer "
        "(type it, or just think it through), then compare with the model answer and tick the "
        "key points you covered.",
        "zh": "限时模拟面试。像面对面试官一样回答每道题（可以打字，也可以只在心里想），"
        "然后对照参考答案，勾选你讲到的要点。",
    },
    "minutes_per_question": {"en": "Minutes per question", "zh": "每题时间（分钟）"},
    "start_interview": {"en": "Start interview", "zh": "开始面试"},
    "your_answer_text": {
        "en": "Your answer (optional: you may answer out loud)",
        "zh": "你的回答（可选，也可以直接说出来）",
    },
    "time_left": {"en": "Time left: {time}", "zh": "剩余时间：{time}"},
    "time_up": {"en": "Time is up: wrap up your answer.", "zh": "时间到了，请收尾你的回答。"},
    "show_model_answer": {"en": "Show the model answer", "zh": "显示参考答案"},
    "you_wrote": {"en": "What you wrote", "zh": "你写的回答"},
    "key_points": {
        "en": "Key points: tick the ones you covered",
        "zh": "要点：勾选你讲到的",
    },
    "key_points_short": {"en": "Key points", "zh": "要点"},
    "points_covered": {
        "en": "{k} of {n} key points covered.",
        "zh": "讲到了 {n} 个要点中的 {k} 个。",
    },
    "interview_rate": {
        "en": "How did it go? The proposed rating follows your ticks; change it if you disagree.",
        "zh": "答得怎么样？建议评分取决于勾选的要点；不同意可以修改。",
    },
    "interview_done": {
        "en": "Interview finished: {k} of {n} key points covered in {time}.",
        "zh": "面试结束：用时 {time}，讲到了 {n} 个要点中的 {k} 个。",
    },
    "rating": {"en": "Rating", "zh": "评分"},
    "new_interview": {"en": "New interview", "zh": "新面试"},
    "end_quiz": {"en": "End this quiz", "zh": "结束本次测验"},
    "review_narrowed": {
        "en": "Review is narrowed to {what}: {due} due and {new} new there.",
        "zh": "复习范围限定为 {what}：其中 {due} 道到期，{new} 道新题。",
    },
    "learn_ahead_today": {
        "en": "Nothing is due right now. {n} question(s) still being learnt come back within "
        "20 minutes, the next in {time}.",
        "zh": "现在没有到期的题目。{n} 道还在学习中的题会在 20 分钟内回来，下一道在 {time} 后。",
    },
    "db_unusable": {"en": "Your progress cannot be used", "zh": "无法使用学习进度"},
    "db_unusable_help": {
        "en": "Nothing is saved until this is fixed, not even an answer you just gave. Fix the "
        "problem below, then reload the page.",
        "zh": "问题解决之前不会保存任何内容，包括你刚才的作答。请先解决下面的问题，再刷新页面。",
    },
    # Code exercises (studyapp/app/exercise_view.py, app_pages/exercises.py)
    "exercises": {"en": "Exercises", "zh": "编程练习"},
    "ex_intro": {
        "en": "Implement a function yourself; hidden tests grade it in a sandbox and explain what "
        "went wrong. Solved exercises come back in Review when you are about to forget them.",
        "zh": "亲手实现一个函数；隐藏测试会在沙箱中评分，并解释哪里出了错。做过的练习会在你快要忘记时回到复习队列。",
    },
    "ex_none": {"en": "The bank has no code exercise yet.", "zh": "题库中还没有编程练习。"},
    "ex_open": {"en": "Open", "zh": "打开"},
    "ex_status_solved": {"en": "solved", "zh": "已通过"},
    "ex_status_tried": {"en": "tried", "zh": "尝试过"},
    "ex_status_new": {"en": "not tried yet", "zh": "尚未尝试"},
    "ex_counts": {
        "en": "{solved} of {n} solved, {tried} tried.",
        "zh": "{n} 道中已通过 {solved} 道，尝试过 {tried} 道。",
    },
    "ex_your_code": {"en": "Your code", "zh": "你的代码"},
    "ex_keys": {
        "en": "Ctrl+Enter (⌘+Enter) in the editor runs the examples.",
        "zh": "在编辑器中按 Ctrl+Enter（⌘+Enter）运行示例。",
    },
    "ex_plain_editor": {
        "en": "The code editor is not installed, so this is a plain text box "
        "(`pip install streamlit-code-editor`).",
        "zh": "未安装代码编辑器，这里是普通文本框（`pip install streamlit-code-editor`）。",
    },
    "ex_run": {"en": "Run examples", "zh": "运行示例"},
    "ex_run_help": {
        "en": "Runs the {n} visible tests: quick, and not graded.",
        "zh": "运行 {n} 个公开测试：速度快，不计分。",
    },
    "ex_submit": {"en": "Submit", "zh": "提交"},
    "ex_submit_help": {
        "en": "Runs all {n} tests, hidden ones included; passing them all schedules the next "
        "review.",
        "zh": "运行全部 {n} 个测试（包括隐藏测试）；全部通过后安排下一次复习。",
    },
    "ex_reset": {"en": "Reset to starter", "zh": "恢复初始代码"},
    "ex_hint": {"en": "Hint ({left} left)", "zh": "提示（还剩 {left} 条）"},
    "ex_hint_title": {"en": "Hint {i}", "zh": "提示 {i}"},
    "ex_show_solution": {"en": "Show solution", "zh": "查看参考答案"},
    "ex_solution_help": {
        "en": "Shows the solution and records this review as Again (you can change it).",
        "zh": "显示参考答案，并把这次复习记为“重来”（之后可以修改）。",
    },
    "ex_solution": {"en": "Solution", "zh": "参考答案"},
    "ex_your_last_code": {"en": "Your last code", "zh": "你最后的代码"},
    "ex_running": {"en": "Running the tests…", "zh": "正在运行测试……"},
    "ex_mode_isolated": {
        "en": "Sandboxed: no network, no access to your files",
        "zh": "沙箱隔离：无网络，不能访问你的文件",
    },
    "ex_mode_not_isolated": {"en": "Not isolated", "zh": "未隔离"},
    "ex_mode_not_isolated_help": {
        "en": "Your code runs with time, memory and file limits, but it can read what your user "
        "can read. Why: {reason}",
        "zh": "你的代码在时间、内存和文件大小的限制下运行，但可以读取当前用户能读取的文件。原因：{reason}",
    },
    "ex_mode_refused": {"en": "Code cannot run here", "zh": "此处无法运行代码"},
    "ex_mode_refused_help": {
        "en": "This server is reachable from the network and cannot isolate code, so it runs "
        "none. Why: {reason}",
        "zh": "此服务器可以从网络访问，又无法隔离代码，因此不运行任何代码。原因：{reason}",
    },
    "ex_all_passed": {"en": "All {n} tests passed.", "zh": "全部 {n} 个测试通过。"},
    "ex_examples_passed": {
        "en": "All {n} examples passed. Submit to run the hidden tests too.",
        "zh": "全部 {n} 个示例通过。提交以运行隐藏测试。",
    },
    "ex_some_failed": {
        "en": "{failed} of {n} tests failed.",
        "zh": "{n} 个测试中有 {failed} 个未通过。",
    },
    "ex_outcome_error": {
        "en": "Your code raised an error.",
        "zh": "你的代码抛出了错误。",
    },
    "ex_outcome_time_limit": {
        "en": "Time limit: your code ran longer than {seconds} s (an endless loop?).",
        "zh": "超时：你的代码运行超过了 {seconds} 秒（是否有死循环？）。",
    },
    "ex_outcome_memory_limit": {
        "en": "Memory limit: your code needed more than {mb} MB.",
        "zh": "内存超限：你的代码需要超过 {mb} MB 内存。",
    },
    "ex_outcome_crashed": {
        "en": "Your code's process stopped abruptly (it was killed or crashed).",
        "zh": "运行你代码的进程意外终止（被杀死或崩溃）。",
    },
    "ex_outcome_output_cut": {
        "en": "Every test passed, but your code printed too much: the output was cut. Remove the "
        "prints and submit again.",
        "zh": "所有测试都通过了，但你的代码打印了太多内容，输出被截断。请删掉打印语句后再提交。",
    },
    "ex_outcome_refused": {
        "en": "Not run: this server runs no code.",
        "zh": "未运行：此服务器不运行任何代码。",
    },
    "ex_test_passed": {"en": "passed", "zh": "通过"},
    "ex_test_failed": {"en": "failed", "zh": "未通过"},
    "ex_test_error": {"en": "error", "zh": "出错"},
    "ex_test_time_limit": {"en": "time limit", "zh": "超时"},
    "ex_test_memory_limit": {"en": "memory limit", "zh": "内存超限"},
    "ex_test_crashed": {"en": "process stopped", "zh": "进程终止"},
    "ex_test_output_cut": {"en": "output cut", "zh": "输出被截断"},
    "ex_test_not_run": {"en": "not run", "zh": "未运行"},
    "ex_test_hidden": {"en": "hidden test", "zh": "隐藏测试"},
    "ex_mistake": {"en": "Recognised mistake: {message}", "zh": "识别出的常见错误：{message}"},
    "ex_printed": {"en": "What your code printed", "zh": "你的代码打印的内容"},
    "ex_printed_cut": {
        "en": "Cut after the first characters.",
        "zh": "只显示了开头的部分。",
    },
    "ex_took": {"en": "Graded in {seconds} s.", "zh": "评分用时 {seconds} 秒。"},
    "ex_grader_failed": {
        "en": "The grader could not start: {reason}",
        "zh": "评分程序无法启动：{reason}",
    },
    "ex_change_rating": {
        "en": "Proposed rating: {proposed} (Good: passed at the first submit with no hint; Hard: "
        "after failed submits or hints; Again: solution shown). Change it with 1–4.",
        "zh": "建议评分：{proposed}（良好：第一次提交就全部通过且没看提示；困难：提交失败过或看过提示；"
        "重来：看了参考答案）。可按 1–4 修改。",
    },
    "ex_gave_up": {
        "en": "Solution shown. Saved as **{rating}**. Next review in {interval}.",
        "zh": "已显示参考答案。记录为 **{rating}**，下次复习在 {interval} 后。",
    },
    "ex_gave_up_unscheduled": {
        "en": "Solution shown ({rating}); this quiz does not change your schedule.",
        "zh": "已显示参考答案（{rating}）；本次测验不影响复习计划。",
    },
}


# Units of numeric answers in Chinese, by the unit the bank writes (or its part after a power of
# ten, "× 10^23 FLOPs"). Symbols (GB, MiB, FLOPs, MACs) read the same in both languages.
UNITS_ZH: dict[str, str] = {
    "parameters": "个参数",
    "sequences": "条序列",
    "comparisons": "次比较",
    "times smaller": "倍（缩小）",
    "FLOPs per token": "FLOPs/词元",
    "tokens": "个词元",
    "tokens per iteration": "个词元/迭代",
    "token-passes": "词元·遍",
    "% of all tokens": "%（占全部词元）",
    "bytes": "字节",
    "bits per byte": "比特/字节",
    "nats": "奈特",
    "entries": "个元素",
    "hidden units": "个隐藏单元",
    "positions": "个位置",
    "probability": "（概率）",
    "standard deviation": "个标准差",
    "negatives": "个负样本",
    "sentences": "个句子",
    "pairs": "对",
    "score": "（得分）",
}


# Scale words written before a unit ("million parameters").
SCALES_ZH = {"thousand": "千", "million": "百万", "billion": "十亿", "trillion": "万亿"}


def tr(key: str, lang: str, **values: object) -> str:
    """The interface string `key` in `lang`, formatted with `values`."""
    text = STRINGS[key].get(lang) or STRINGS[key]["en"]
    return text.format(**values) if values else text
