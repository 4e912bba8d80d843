from retrieval.query import understand


def test_domain_words_and_programme_codes_stay_whole(library):
    tokens = library.tokenizer.tokenize("实施“1226”固本强基工程，创新实施“1+7+2+N”党建服务体系，七星九美十三香")
    assert "固本强基" in tokens
    assert "1226" in tokens
    assert "1+7+2+n" in tokens
    assert "七星九美十三香" in tokens
    assert "红色物业" in library.tokenizer.tokenize("深化“红色物业”建设")


def test_quoted_numbers_become_markers(library):
    assert library.tokenizer.tokenize("“1”即一个目标")[:1] == ["q:1"]


def test_stop_words_are_dropped_for_passages_and_queries(library):
    tokens = library.tokenizer.tokenize("暖新之家是什么？")
    assert "什么" not in tokens and "是" not in tokens and "暖新之家" in tokens


def test_traditional_question_is_converted(library):
    query = understand(library, "紅色物業是什麼？")
    assert "红色物业" in query.tokens


def test_english_question_uses_the_glossary(library):
    query = understand(library, "How many party members does Huaiyin have?")
    assert query.lang == "en"
    assert {"党员", "槐荫"} <= set(query.tokens)
    assert query.qtype == "count"


def test_programme_number_asks_for_its_spelled_out_parts(library):
    query = understand(library, "1226工程是什么")
    assert query.codes == ["1226"]
    assert {"q:1", "q:2", "q:6"} <= set(query.weights)


def test_english_plurals_and_pinyin_names(library):
    query = understand(library, "How many first secretaries did Jinan send?")
    assert "第一书记" in query.tokens and "济南" in query.tokens
    assert query.focus == "第一书记"
    query = understand(library, "Who is the Party secretary of Hulutao village?")
    assert "葫芦套" in query.tokens
    # pinyin only stands for names and the corpus's own terms, not homophones: beijing ≠ 背景
    assert "背景" not in understand(library, "Does Beijing have red property?").tokens


def test_count_focus_is_the_counted_thing(library):
    assert understand(library, "槐荫区有多少党员？").focus == "党员"


def test_tokenize_many_in_worker_processes_matches_one_process(library):
    texts = [p.text for p in library.passages] * (2001 // len(library.passages) + 1)
    tokenizer = library.tokenizer
    assert tokenizer.tokenize_many(texts, workers=2) == [tokenizer.tokenize(t) for t in texts]


def test_rjieba_tokens_equal_jiebas_on_every_passage_and_heading(bm25_library):
    """rjieba segments (it is ~15× faster); its tokens must be python jieba's exactly, with the
    corpus's user dictionary and the quoted terms added at load time."""
    from retrieval.library import passage_document
    from retrieval.tokenize import Tokenizer

    library = bm25_library
    words = [*library.lexicon.user_words, *sorted(library.tokenizer.added_words)]
    fast = Tokenizer(words, library.lexicon.stopwords, engine="rjieba")
    reference = Tokenizer(words, library.lexicon.stopwords, engine="jieba")
    texts = [passage_document(p, library.articles[p.article]) for p in library.passages]
    texts += sorted({p.section for p in library.passages} | {a.title for a in library.articles.values()})
    assert len(texts) > 100
    differing = [t for t in texts if fast.tokenize(t) != reference.tokenize(t)]
    assert differing == []
    # and on the domain words themselves, which rjieba must know once added
    assert all(fast.is_word(w) == reference.is_word(w) for w in words)
    assert fast.tokenize("深化“红色物业”建设") == reference.tokenize("深化“红色物业”建设")


def test_rjieba_tags_equal_jieba_posseg_on_passages_and_questions(bm25_library):
    """Names and places are found from part-of-speech tags: rjieba's, mapped as jieba.posseg
    gives them, must be posseg's on every passage, dev question and example question."""
    from retrieval.loader import read_lines
    from retrieval.tokenize import Tokenizer

    library = bm25_library
    words = [*library.lexicon.user_words, *sorted(library.tokenizer.added_words)]
    fast = Tokenizer(words, library.lexicon.stopwords, engine="rjieba")
    reference = Tokenizer(words, library.lexicon.stopwords, engine="jieba")
    root = library.corpus_dir.parent
    questions = [line.split("\t")[2] for line in read_lines(root / "tests" / "eval" / "dev_questions.tsv")[1:]
                 if line.count("\t") >= 2]
    examples = [line.split("\t", 1)[1] for line in read_lines(library.corpus_dir / "examples.tsv") if "\t" in line]
    odd = ["I have 3.5 apples in Beijing 2024年!", "a1b2 北京 x.y 120", "葫蘆套村的羊肚菌項目什麼時候落戶？", "空格\t制表\r\n换行"]
    texts = [p.text for p in library.passages] + questions + examples + odd
    assert len(questions) > 10
    assert [t for t in texts if fast.tagged(t) != reference.tagged(t)] == []
    assert all(fast.is_name(w) == reference.is_name(w) for w in ["背景", "发展", "槐荫", "暖新之家", "北京"])
