package dev.aigateway.core.cache;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The closed word lists {@link FalseHitGuard} reads: negation cues, opposite poles, task words,
 * number words and units, and the function words and common sentence openers that are
 * capitalised without being names. Built once per guard; immutable after construction, so shared
 * freely between threads.
 */
final class GuardLexicon {

  /** A surface form of an opposite pole: the word it inflects ({@code lemma}) and its pole. */
  record Pole(String lemma, int code) {}

  // Negation is a closed class: particles, negative pronouns and adverbs, and the contracted
  // forms (with and without the apostrophe, as typed in a hurry). "n't" is matched as a suffix.
  private static final List<String> NEGATIONS = List.of(
      "not", "no", "non", "never", "none", "nobody", "nothing", "nowhere", "neither", "nor", "without",
      "cannot", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "cant", "couldnt",
      "shouldnt", "wouldnt", "wont", "hasnt", "havent", "hadnt", "mustnt", "neednt", "aint");

  /**
   * Antonym classes: each row is {positive pole, negative pole}, each pole a list of words or
   * two-word phrasal verbs that mean the same side. The classes follow the usual lexical
   * oppositions (toggles, permission, addition/removal, scale, start/stop, order in time, buy/
   * sell, direction of transfer, reversible processes, polarity of state).
   */
  private static final String[][][] OPPOSITES = {
      {{"enable", "activate", "turn on", "switch on", "unmute", "on"},
          {"disable", "deactivate", "turn off", "switch off", "mute", "off"}},
      {{"allow", "permit", "grant", "accept", "approve", "authorize", "authorise", "whitelist",
          "allowlist", "permission", "acceptance", "approval"},
          {"deny", "forbid", "block", "reject", "decline", "refuse", "revoke", "prohibit", "ban",
              "disallow", "blacklist", "blocklist", "rejection", "refusal", "denial"}},
      {{"add", "insert", "append", "create", "attach", "include", "install", "subscribe", "join",
          "register", "enroll", "enrol", "addition", "inclusion"},
          {"remove", "delete", "drop", "detach", "exclude", "uninstall", "unsubscribe", "unregister",
              "unenroll", "erase", "omit", "removal", "deletion", "exclusion"}},
      {{"increase", "raise", "grow", "expand", "extend", "maximize", "maximise", "more", "most",
          "higher", "highest", "greater", "larger", "largest", "bigger", "biggest", "longer",
          "longest", "max", "maximum", "above", "upper", "uppercase", "upgrade", "scale up",
          "faster", "fastest"},
          {"decrease", "reduce", "lower", "shrink", "minimize", "minimise", "less", "least", "fewer",
              "lowest", "smaller", "smallest", "shorter", "shortest", "min", "minimum", "below",
              "lowercase", "downgrade", "scale down", "slower", "slowest", "reduction"}},
      {{"start", "begin", "launch", "boot", "start up", "beginning"},
          {"stop", "end", "halt", "terminate", "pause", "finish", "kill", "shut down", "cancel",
              "suspend", "termination", "cancellation"}},
      {{"open", "unlock", "connect", "opening"}, {"close", "lock", "disconnect", "closing"}},
      {{"first", "earliest", "oldest", "top", "beginning"},
          {"last", "latest", "newest", "final", "bottom"}},
      {{"before", "prior", "previous", "earlier", "preceding"},
          {"after", "next", "later", "following", "subsequent"}},
      {{"buy", "purchase", "bought", "borrow"}, {"sell", "sold", "lend", "lent"}},
      {{"upload", "import", "send", "push", "input", "inbound", "incoming"},
          {"download", "export", "receive", "pull", "output", "outbound", "outgoing"}},
      {{"deposit"}, {"withdraw", "withdrawal"}},
      {{"credit"}, {"debit"}},
      {{"encrypt", "encode", "compress", "serialize", "serialise", "zip", "pack", "mount",
          "encryption", "compression", "serialization", "serialisation", "freeze"},
          {"decrypt", "decode", "decompress", "deserialize", "deserialise", "unzip", "unpack",
              "unmount", "decryption", "decompression", "deserialization", "deserialisation",
              "unfreeze"}},
      {{"log in", "sign in", "login", "signin", "logon", "check in", "opt in", "zoom in", "inside",
          "internal", "inner", "plug in"},
          {"log out", "sign out", "logout", "signout", "logoff", "check out", "opt out", "zoom out",
              "outside", "external", "outer", "unplug"}},
      {{"ascending", "asc"}, {"descending", "desc"}},
      {{"sync", "synchronous", "synchronously", "blocking"},
          {"async", "asynchronous", "asynchronously", "nonblocking"}},
      {{"public", "shared"}, {"private"}},
      {{"online"}, {"offline"}},
      {{"remote"}, {"local"}},
      {{"true"}, {"false"}},
      {{"success", "succeed", "successful", "pass", "passing", "win", "won", "gain", "profit",
          "positive"},
          {"failure", "fail", "failed", "failing", "lose", "lost", "loss", "negative"}},
      {{"horizontal", "horizontally"}, {"vertical", "vertically"}},
      {{"left"}, {"right"}},
      {{"north", "northern"}, {"south", "southern"}},
      {{"east", "eastern"}, {"west", "western"}},
      {{"light", "white"}, {"dark", "black"}},
      {{"frontend", "client"}, {"backend", "server"}},
      {{"cheap", "cheaper", "cheapest", "inexpensive"},
          {"expensive", "pricier", "costly"}},
      {{"easy", "easier", "easiest", "simple", "simpler", "beginner"},
          {"hard", "harder", "hardest", "difficult", "complex", "advanced", "expert"}},
      {{"good", "better", "best", "pros", "advantage", "advantages", "benefit", "benefits"},
          {"bad", "worse", "worst", "cons", "disadvantage", "disadvantages", "drawback",
              "drawbacks", "downside", "downsides"}},
      {{"singular"}, {"plural"}},
      {{"male", "men", "man"}, {"female", "women", "woman"}},
      {{"hot", "warm", "summer"}, {"cold", "winter"}},
      {{"read", "reader"}, {"write", "writer"}},
      {{"agree", "love"}, {"disagree", "hate"}},
  };

  /**
   * Task classes: what a prompt asks to be done (the act: translate, summarize, fix) or made
   * (the artifact: a poem, an e-mail, a regex), each row a class of words that ask for the same
   * thing, so that swapping one for another keeps the task. A verb and its noun share a class
   * ("summarize", "summary"). Single words are matched with their regular inflections; derived
   * and irregular forms are listed. Left out on purpose, because they ask for anything or name a
   * topic as often as a task: give, make, show, tell, help, find, check, improve, convert,
   * format, simplify, solve, answer, response, document, note, comment, post, order, return.
   */
  private static final String[][] TASKS = {
      // acts on a text or a thing the prompt supplies
      {"translate", "translation", "translator", "localize", "localise", "localization",
          "localisation"},
      {"reply", "respond", "write back"},
      {"summarize", "summarise", "summary", "summarization", "summarisation", "condense",
          "shorten", "tldr", "tl;dr", "recap", "synopsis", "gist", "sum up", "key points",
          "main points", "takeaways", "abridge", "boil down"},
      {"rewrite", "rewrote", "rewritten", "rephrase", "paraphrase", "reword", "restate",
          "reformulate", "revise", "revision"},
      {"explain", "explanation", "describe", "description", "clarify", "clarification",
          "elaborate", "elaboration", "define", "definition", "interpret", "interpretation"},
      {"list", "enumerate", "enumeration", "itemize", "itemise", "bullet", "bulleted",
          "bullet points", "checklist"},
      {"compare", "comparison", "contrast", "difference", "differ", "versus", "vs"},
      {"classify", "classification", "categorize", "categorise", "categorization",
          "categorisation", "label", "labelled", "labelling"},
      {"extract", "extraction", "pull out", "parse", "parser"},
      {"fix", "debug", "repair", "troubleshoot", "correct", "correction", "proofread",
          "resolve"},
      {"review", "critique", "feedback", "assess", "assessment", "analyze", "analyse",
          "analysis", "analyses", "audit", "appraise", "appraisal"},
      {"refactor", "restructure", "clean up", "cleanup", "tidy", "reorganize", "reorganise"},
      {"optimize", "optimise", "optimization", "optimisation", "speed up"},
      {"calculate", "calculation", "compute", "computation", "estimate",
          "estimation", "count"},
      {"prove", "proof"},
      {"predict", "prediction", "forecast"},
      {"sort", "rank", "ranking", "arrange", "alphabetize", "alphabetise"},
      {"filter"},
      {"merge", "combine", "concatenate", "concat"},
      {"split"},
      {"deduplicate", "dedupe", "dedup"},
      {"validate", "validation", "verify", "verification"},
      {"transcribe", "transcription", "transcript"},
      {"migrate", "migration"},
      {"deploy", "deployment", "roll out"},
      {"install", "installation", "installer", "reinstall"},
      {"configure", "configuration", "config", "reconfigure"},
      // making something new, whatever it is called
      {"write", "wrote", "written", "draft", "compose", "composition", "generate", "create",
          "produce", "craft", "author", "implement", "implementation", "come up", "write up",
          "suggest", "suggestion", "recommend", "recommendation", "propose", "proposal",
          "brainstorm"},
      // the things asked for
      {"poem", "poetry", "haiku", "verse", "verses", "sonnet", "limerick", "rhyme", "ode"},
      {"story", "tale", "fable", "fairytale", "narrative", "novel", "fiction", "anecdote"},
      {"song", "lyric", "lyrics", "jingle", "rap"},
      {"essay", "article", "blog", "editorial"},
      {"report", "whitepaper"},
      {"email", "mail", "message", "letter", "memo"},
      {"joke", "pun", "riddle"},
      {"tagline", "slogan", "motto", "catchphrase", "strapline"},
      {"title", "headline", "heading", "subject line"},
      {"bio", "biography", "autobiography"},
      {"speech", "eulogy", "monologue"},
      {"presentation", "slide", "slideshow"},
      {"tweet", "caption", "hashtag"},
      {"outline"},
      {"table", "spreadsheet", "tabulate", "tabular"},
      {"chart", "graph", "diagram", "flowchart", "visualization", "visualisation", "visualize",
          "visualise", "infographic"},
      {"image", "picture", "illustration", "illustrate", "draw", "drawing", "drew", "drawn",
          "sketch", "logo"},
      {"recipe"},
      {"plan", "itinerary", "schedule", "agenda", "timetable", "roadmap"},
      {"quiz", "quizzes", "flashcard", "trivia"},
      {"example"},
      {"code", "script", "function", "program", "snippet"},
      {"regex", "regexp", "regex pattern", "regular expression"},
      {"query"},
      // not the bare verb "test", which as often means "check" ("test if a number is prime")
      {"tests", "unit test", "integration test", "test case", "test suite"},
      {"documentation", "docs", "docstring", "javadoc", "jsdoc"},
      // what a customer asks an assistant to do with an account or an order
      {"cancel", "cancellation", "terminate", "termination"},
      {"pause", "suspend", "suspension"},
      {"refund", "reimburse", "reimbursement"},
      {"track", "tracking"},
      // not "book" and "books", which name something to read as often as a reservation
      {"booked", "booking", "reserve", "reservation"},
      {"reset", "recover", "recovery", "restore"},
      {"change", "update", "modify", "modification", "edit", "alter", "alteration", "adjust",
          "adjustment", "amend", "amendment", "reschedule"},
  };

  // Affixal negation: un-/non-/dis-/in-/im-/il-/ir-/de-/a- before a word the other prompt has.
  // The minimum length of the remainder keeps chance matches ("display"/"play") out.
  private static final String[] NEGATIVE_PREFIXES = {"non", "un", "dis", "in", "im", "il", "ir",
      "de", "a"};
  private static final int[] MIN_REMAINDER = {4, 4, 5, 5, 5, 5, 5, 5, 7};

  private static final String[] UNITS_WORDS = {
      "ms:ms,msec,msecs,millisecond,milliseconds",
      "s:s,sec,secs,second,seconds",
      "min:min,mins,minute,minutes",
      "h:h,hr,hrs,hour,hours",
      "d:d,day,days",
      "wk:wk,wks,week,weeks",
      "mo:mo,mos,month,months",
      "y:y,yr,yrs,year,years",
      "b:byte,bytes",
      "kb:kb,kib,kilobyte,kilobytes",
      "mb:mb,mib,megabyte,megabytes",
      "gb:gb,gib,gigabyte,gigabytes",
      "tb:tb,tib,terabyte,terabytes",
      "mm:mm,millimeter,millimeters,millimetre,millimetres",
      "cm:cm,centimeter,centimeters,centimetre,centimetres",
      "m:m,meter,meters,metre,metres",
      "km:km,kilometer,kilometers,kilometre,kilometres,kms",
      "mi:mi,mile,miles",
      "ft:ft,foot,feet",
      "inch:inch,inches",
      "g:g,gram,grams",
      "kg:kg,kgs,kilo,kilos,kilogram,kilograms",
      "lb:lb,lbs,pound,pounds",
      "oz:oz,ounce,ounces",
      "usd:usd,dollar,dollars,bucks,$",
      "eur:eur,euro,euros,€",
      "gbp:gbp,£",
      "jpy:jpy,yen,¥",
      "%:%,percent,pct,percentage",
      "x:x,times",
      "px:px,pixel,pixels",
      "deg:deg,degree,degrees,°",
      "c:°c,celsius",
      "f:°f,fahrenheit",
      "hz:hz", "khz:khz", "mhz:mhz", "ghz:ghz",
      "kbps:kbps", "mbps:mbps", "gbps:gbps",
      "am:am,a.m", "pm:pm,p.m",
  };

  /** Words and suffixes that multiply the number before them ("5k", "2 million"). */
  private static final Map<String, Double> MULTIPLIERS = Map.of("hundred", 1e2, "k", 1e3,
      "thousand", 1e3, "million", 1e6, "mln", 1e6, "mn", 1e6, "billion", 1e9, "bn", 1e9,
      "trillion", 1e12);

  /** Words that make a number a rate ("per hour", "a day", "daily"). */
  private static final String[] FREQUENCIES = {"hourly:h", "daily:d", "nightly:d", "weekly:wk",
      "monthly:mo", "yearly:y", "annually:y", "annual:y", "quarterly:q"};

  private static final String[] SMALL_NUMBERS = {"zero", "one", "two", "three", "four", "five",
      "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen",
      "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
  private static final String[] TENS = {"", "", "twenty", "thirty", "forty", "fifty", "sixty",
      "seventy", "eighty", "ninety"};
  private static final String[] ORDINALS = {"", "", "second", "third", "fourth", "fifth",
      "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth",
      "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
      "twentieth"};

  // Closed-class words and greetings that are capitalised after a comma or in a salutation
  // without being names.
  private static final Set<String> FUNCTION_WORDS = Set.of(
      "i", "i'm", "i've", "i'll", "i'd", "im", "ive", "ill", "please", "pls", "plz", "thanks",
      "thank", "thx", "hi", "hello", "hey", "dear", "can", "could", "would", "will", "should",
      "shall", "may", "might", "must", "do", "does", "did", "is", "are", "was", "were", "be",
      "been", "am", "what", "what's", "whats", "why", "how", "how's", "when", "where", "which",
      "who", "whom", "whose", "the", "a", "an", "this", "that", "these", "those", "my", "your",
      "our", "their", "his", "her", "its", "it's", "we", "you", "they", "he", "she", "it", "and",
      "or", "but", "so", "if", "then", "also", "ok", "okay", "yes", "no", "not", "just",
      "now", "there", "here", "all", "any", "some", "only", "again", "btw", "fyi", "asap", "tl",
      "dr", "tldr", "note", "question", "update", "edit", "urgent", "important", "help", "step",
      "task", "context", "answer", "example", "input", "output", "summary");

  // Words that commonly open an English sentence or prompt without being names: the remaining
  // pronouns, determiners, prepositions, conjunctions and adverbs, greetings, and the verbs
  // prompts are phrased with (imperatives, questions about how to do a thing). A capitalised
  // first word outside this list, the function words, and the words of the other lists
  // ("Disable", "Five") is taken for a name ("Paris or Rome?"). Matched with regular
  // inflections ("Using", "Based", "Lists").
  private static final Set<String> SENTENCE_STARTERS = Set.of(
      // pronouns, determiners, quantifiers
      "me", "us", "them", "him", "mine", "yours", "ours", "everyone", "everybody", "everything",
      "someone", "somebody", "something", "anyone", "anybody", "anything", "each", "every",
      "either", "both", "many", "much", "few", "several", "other", "another", "such", "same",
      "own", "let's", "lets", "here's", "there's", "that's", "it's", "who's", "where's",
      "when's", "why's",
      // prepositions, conjunctions, adverbs
      "in", "on", "at", "for", "from", "with", "by", "to", "of", "about", "as", "into", "onto",
      "over", "under", "between", "among", "across", "through", "during", "since", "until",
      "till", "because", "although", "though", "while", "whether", "unless", "once", "instead",
      "besides", "despite", "like", "unlike", "per", "via", "versus", "vs", "regarding",
      "according", "assuming", "suppose", "considering", "given", "based", "using",
      "actually", "basically", "briefly", "quickly", "maybe", "perhaps", "really", "still",
      "even", "already", "always", "usually", "often", "sometimes", "today", "tomorrow",
      "yesterday", "tonight", "currently", "recently", "finally", "otherwise",
      "however", "therefore", "meanwhile", "else", "very", "too", "quite", "rather", "well",
      "anyway", "honestly", "hopefully", "apparently", "ideally", "specifically", "generally",
      // greetings and interjections
      "hiya", "greetings", "sorry", "oops", "great", "cool", "nice", "sure", "yeah", "yep",
      "nope", "oh", "ah", "um", "hmm", "wow", "morning", "afternoon", "evening",
      // adjectives that open requests
      "new", "old", "quick", "short", "long", "simple", "brief", "full", "detailed",
      "main", "key", "common", "typical", "possible", "different", "similar",
      // verbs prompts open with, and verbs of asking and wanting
      "write", "rewrite", "explain", "summarize", "summarise", "translate", "make", "list",
      "show", "give", "tell", "find", "generate", "convert", "compare", "describe", "fix",
      "check", "draft", "reply", "respond", "book", "reset", "change", "set", "get", "calculate",
      "compute", "suggest", "recommend", "refactor", "debug", "build", "deploy", "configure",
      "run", "use", "let", "keep", "put", "take", "turn", "move", "copy", "paste", "print",
      "review", "proofread", "correct", "improve", "optimize", "optimise", "simplify",
      "shorten", "extract", "parse", "format", "sort", "filter", "count", "estimate", "plan",
      "schedule", "prepare", "outline", "define", "analyse", "analyze", "classify",
      "categorize", "categorise", "label", "identify", "detect", "predict", "ask", "say", "look",
      "try", "go", "see", "need", "want", "wish", "know", "think", "wonder", "provide",
      "produce", "draw", "design", "implement", "test", "validate", "verify", "ensure", "merge",
      "split", "rename", "share", "save", "load", "restore", "retry", "return", "sign", "log",
      "order", "pay", "refund", "charge", "transfer", "track", "rate", "rank", "pick", "choose",
      "select", "name", "mark", "flag", "tag", "notify", "remind", "email", "call", "text",
      "message", "post", "publish", "search", "lookup", "fetch", "query", "scan", "monitor",
      "measure", "assess", "evaluate", "rephrase", "paraphrase", "reword", "reformat",
      "brainstorm", "propose", "come", "have", "has", "had", "being", "doing", "going", "got",
      "walk", "guide", "teach", "learn", "study", "solve", "complete", "continue",
      "proceed", "resume", "repeat", "clarify", "elaborate", "condense", "highlight", "point",
      "mention", "act", "pretend", "imagine", "assume", "consider", "focus", "display",
      "render", "map", "group", "match", "replace", "clean", "fill", "cover", "handle",
      "manage", "setup", "migrate", "backup", "back", "deal", "work");
  private static final Set<String> STARTER_STEMS = SENTENCE_STARTERS.stream()
      .map(PromptFacts::stem).collect(Collectors.toUnmodifiableSet());

  // The commonest adjectives negated by a prefix: counted as negations even when the other
  // prompt does not have the plain word ("unable to log in" against "can't log in").
  private static final Set<String> NEGATIVE_ADJECTIVES = Set.of(
      "unable", "unclear", "unknown", "unsure", "unlikely", "unavailable", "unsupported",
      "unauthorized", "unauthorised", "unsuccessful", "unsafe", "unnecessary", "unusual",
      "unexpected", "unreachable", "unresponsive", "impossible", "invalid", "incorrect",
      "inactive", "incomplete", "inaccessible", "illegal", "irrelevant", "nonexistent");

  private final Set<String> negations;
  private final Map<String, Pole> poles;
  private final Map<String, Integer> tasks;
  private final Map<String, String> units;
  private final Map<String, String> frequencies;
  private final Map<String, Integer> numberWords;
  private final Map<String, Integer> ordinals;
  private final int poleCodes;

  GuardLexicon(List<String[]> extraOpposites, List<String> extraNegations,
      List<List<String>> extraTasks) {
    Set<String> neg = new HashSet<>(NEGATIONS);
    neg.addAll(extraNegations);
    this.negations = Set.copyOf(neg);

    Map<String, Pole> p = new HashMap<>();
    int group = 0;
    for (String[] pair : extraOpposites) { // the application's pairs win over the built-ins
      addPole(p, pair[0], group * 2);
      addPole(p, pair[1], group * 2 + 1);
      group++;
    }
    for (String[][] opposition : OPPOSITES) {
      for (int side = 0; side < 2; side++) {
        for (String word : opposition[side]) {
          addPole(p, word, group * 2 + side);
        }
      }
      group++;
    }
    this.poles = Map.copyOf(p);
    this.poleCodes = group * 2;

    Map<String, Integer> t = new HashMap<>();
    int task = 0;
    for (List<String> words : extraTasks) { // the application's classes win over the built-ins
      for (String word : words) {
        addTask(t, word, task);
      }
      task++;
    }
    for (String[] words : TASKS) {
      for (String word : words) {
        addTask(t, word, task);
      }
      task++;
    }
    this.tasks = Map.copyOf(t);

    Map<String, String> u = new HashMap<>();
    for (String row : UNITS_WORDS) {
      int colon = row.indexOf(':');
      String canonical = row.substring(0, colon);
      for (String alias : row.substring(colon + 1).split(",")) {
        u.put(alias, canonical);
      }
    }
    this.units = Map.copyOf(u);
    Map<String, String> f = new HashMap<>();
    for (String row : FREQUENCIES) {
      f.put(row.substring(0, row.indexOf(':')), row.substring(row.indexOf(':') + 1));
    }
    this.frequencies = Map.copyOf(f);

    Map<String, Integer> n = new HashMap<>();
    for (int i = 0; i < SMALL_NUMBERS.length; i++) {
      n.put(SMALL_NUMBERS[i], i);
    }
    for (int i = 2; i < TENS.length; i++) {
      n.put(TENS[i], i * 10);
    }
    n.put("dozen", 12);
    this.numberWords = Map.copyOf(n);
    Map<String, Integer> o = new HashMap<>();
    for (int i = 2; i < ORDINALS.length; i++) {
      o.put(ORDINALS[i], i);
    }
    o.put("hundredth", 100);
    o.put("thousandth", 1000);
    this.ordinals = Map.copyOf(o);
  }

  private static void addPole(Map<String, Pole> poles, String phrase, int code) {
    String lemma = phrase.toLowerCase(Locale.ROOT);
    int space = lemma.indexOf(' ');
    String head = space < 0 ? lemma : lemma.substring(0, space);
    String tail = space < 0 ? "" : lemma.substring(space);
    for (String form : inflections(head)) {
      poles.putIfAbsent(form + tail, new Pole(lemma, code));
    }
  }

  /**
   * Maps the regular forms of a task word to its class; of a two-word phrase, the forms of
   * either word with the other as given ("pulled out", "regular expressions").
   */
  private static void addTask(Map<String, Integer> tasks, String phrase, int task) {
    String lemma = phrase.toLowerCase(Locale.ROOT);
    int space = lemma.indexOf(' ');
    if (space < 0) {
      for (String form : regularForms(lemma)) {
        tasks.putIfAbsent(form, task);
      }
      return;
    }
    String head = lemma.substring(0, space);
    String tail = lemma.substring(space + 1);
    for (String form : regularForms(head)) {
      tasks.putIfAbsent(form + " " + tail, task);
    }
    for (String form : regularForms(tail)) {
      tasks.putIfAbsent(head + " " + form, task);
    }
  }

  /**
   * The regular inflections of a word: plural and third person, past, gerund, and the usual
   * noun forms (-ion, -ation, -al, -ment). Over-generation is harmless: a made-up form never
   * occurs in a prompt.
   */
  static Set<String> inflections(String word) {
    Set<String> forms = regularForms(word);
    if (word.length() < 3) {
      return forms;
    }
    String stem = word.endsWith("e") ? word.substring(0, word.length() - 1) : word;
    forms.add(stem + "ion");
    forms.add(stem + "ation");
    forms.add(stem + "al");
    forms.add(word + "ment");
    return forms;
  }

  /**
   * Plural and third person, past and gerund only: the task words list their derived nouns
   * themselves, since a derived form may be another word ("verse", "version").
   */
  private static Set<String> regularForms(String word) {
    Set<String> forms = new HashSet<>();
    forms.add(word);
    if (word.length() < 3) {
      return forms;
    }
    char last = word.charAt(word.length() - 1);
    String stem = last == 'e' ? word.substring(0, word.length() - 1) : word;
    forms.add(word + (last == 's' || last == 'x' || last == 'h' ? "es" : "s"));
    forms.add(stem + "ed");
    forms.add(stem + "ing");
    if (last == 'y' && !isVowel(word.charAt(word.length() - 2))) {
      String root = word.substring(0, word.length() - 1);
      forms.add(root + "ies");
      forms.add(root + "ied");
    }
    if (isConsonantVowelConsonant(word)) {
      forms.add(word + last + "ed");
      forms.add(word + last + "ing");
    }
    return forms;
  }

  private static boolean isConsonantVowelConsonant(String w) {
    int n = w.length();
    char c = w.charAt(n - 1);
    return n >= 3 && !isVowel(c) && c != 'w' && c != 'x' && c != 'y'
        && isVowel(w.charAt(n - 2)) && !isVowel(w.charAt(n - 3));
  }

  private static boolean isVowel(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  }

  boolean isNegation(String lower) {
    return negations.contains(lower) || lower.endsWith("n't");
  }

  boolean isNegativeAdjective(String lower) {
    return NEGATIVE_ADJECTIVES.contains(lower);
  }

  /** The pole of a word or two-word phrase (lower case), or null. */
  Pole pole(String lower) {
    return poles.get(lower);
  }

  int poleCodes() {
    return poleCodes;
  }

  /** The task class of a word or two-word phrase (lower case), or -1. */
  int task(String lower) {
    Integer task = tasks.get(lower);
    return task == null ? -1 : task;
  }

  /** The canonical unit of an alias ("minutes" → "min"), or null. */
  String unit(String lower) {
    return units.get(lower);
  }

  /** The period of a frequency word ("daily" → "d"), or null. */
  String frequency(String lower) {
    return frequencies.get(lower);
  }

  /** The value of a cardinal number word below a hundred, or null. */
  Integer numberWord(String lower) {
    return numberWords.get(lower);
  }

  /** The factor of a multiplier word or suffix ("thousand", "k"), or null. */
  Double multiplier(String lower) {
    return MULTIPLIERS.get(lower);
  }

  /** The value of an ordinal word from "second" on, or null. */
  Integer ordinal(String lower) {
    return ordinals.get(lower);
  }

  boolean isFunctionWord(String lower) {
    return FUNCTION_WORDS.contains(lower);
  }

  /**
   * Whether a capitalised word at the start of a sentence is an ordinary word rather than a
   * name: a function word, a common sentence starter (inflected or not), or a word of the other
   * lists.
   */
  boolean isCommonStarter(String lower) {
    return FUNCTION_WORDS.contains(lower) || SENTENCE_STARTERS.contains(lower)
        || STARTER_STEMS.contains(PromptFacts.stem(lower)) || isNegation(lower)
        || isNegativeAdjective(lower) || poles.containsKey(lower) || tasks.containsKey(lower)
        || units.containsKey(lower)
        || frequencies.containsKey(lower) || numberWords.containsKey(lower)
        || ordinals.containsKey(lower) || MULTIPLIERS.containsKey(lower);
  }

  /**
   * The word {@code lower} negates by a prefix ("unencrypted" → "encrypted"), tried in order of
   * the prefixes; each candidate is returned through {@code sink} until it answers true.
   */
  boolean anyPrefixRemainder(String lower, java.util.function.Predicate<String> sink) {
    for (int i = 0; i < NEGATIVE_PREFIXES.length; i++) {
      String prefix = NEGATIVE_PREFIXES[i];
      if (lower.startsWith(prefix)) {
        int from = prefix.length();
        if (from < lower.length() && lower.charAt(from) == '-') {
          from++;
        }
        if (lower.length() - from >= MIN_REMAINDER[i] && sink.test(lower.substring(from))) {
          return true;
        }
      }
    }
    return false;
  }
}
