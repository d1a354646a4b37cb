package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.core.cache.FalseHitGuard.Check;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FalseHitGuardTest {

  private final FalseHitGuard guard = FalseHitGuard.defaults();

  private Optional<String> objection(String cached, String prompt) {
    Optional<String> forward = guard.objection(cached, prompt);
    assertThat(guard.objection(prompt, cached)).as("the guard is symmetric").isEqualTo(forward);
    return forward;
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Which items can be returned? | Which items can't be returned?",
        "Show customers who placed an order this year | Show customers who have not placed an order this year",
        "Flights to Rome with a layover | Flights to Rome without a layover",
        "My package arrived, what now? | My package never arrived, what now?",
        "Select rows where email is null | Select rows where email is not null",
        "Is the backup encrypted? | Is the backup unencrypted?",
        "Use a blocking call here | Use a non-blocking call here",
        "Why doesnt the build use the cache | Why does the build use the cache",
      })
  void blocksANegationOnOneSide(String cached, String prompt) {
    assertThat(objection(cached, prompt)).contains("negation");
  }

  @Test
  void negationsInBothPromptsCancelOut() {
    assertThat(objection("Why can't I log in?", "Why am I unable to log in?")).isEmpty();
    assertThat(
            objection(
                "Can I return it without a receipt?",
                "Can I return it if I don't have the receipt?"))
        .isEmpty();
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "How do I enable two-factor authentication? | How do I disable two-factor authentication?",
        "Turn on read receipts | Turn off read receipts",
        "Activate the feature flag | Switch off the feature flag",
        "Sort by date, ascending | Sort by date, descending",
        "Increase the font size | Decrease the font size",
        "Add a user to the admin group | Remove a user from the admin group",
        "Show the first 10 lines | Show the last 10 lines",
        "Take it before meals | Take it after meals",
        "How do I upload files to Drive? | How do I download files from Drive?",
        "Why can't I log in? | Why can't I log out?",
        "The job was started yesterday | The job was stopped yesterday",
        "Is it time to buy? | Is it time to sell?",
      })
  void blocksOppositesIncludingInflectionsAndSynonymsOnOnePole(String cached, String prompt) {
    assertThat(objection(cached, prompt)).contains("opposite");
  }

  @Test
  void aPromptWithBothPolesSaysNothingAboutTheOpposition() {
    assertThat(objection("Add a drop-down to the form", "Insert a drop-down into the form"))
        .isEmpty();
    assertThat(objection("How do I enable logging?", "How can I turn on logging?")).isEmpty();
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Refund order 1234 | Refund order 1243",
        "Summarize in 3 sentences | Summarize in 5 sentences",
        "Run 5 km | Run 5 miles",
        "Give me a 10% discount | Give me a 20% discount",
        "What's new in Python 3.11? | What's new in Python 3.12?",
        "Refund the last two charges | Refund the last three charges",
        "Translate the second paragraph | Translate the third paragraph",
        "Limit it to 1,000 requests per minute | Limit it to 1,000 requests per hour",
        "Send me a daily report | Send me a weekly report",
        "Set the timeout to 30 seconds | Set the timeout to 30 milliseconds",
        "Budget of 5k | Budget of 50k",
      })
  void blocksAChangedNumberOrUnit(String cached, String prompt) {
    assertThat(objection(cached, prompt)).contains("number");
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Run 5 km | Run 5km",
        "Run 5 km | run five kilometres",
        "Set a 10 min timer | Set a timer for 10 minutes",
        "Give me three examples | Give me 3 examples",
        "Write a paragraph | Write one paragraph",
        "Budget of 5k | Budget of 5,000",
        "twenty-five users | 25 users",
        "Convert 100 US dollars | Convert $100 US",
        "A 200,000 loan at 5% | A $200,000 loan at 5 percent",
      })
  void letsTheSameNumbersThroughWhateverTheirSpelling(String cached, String prompt) {
    assertThat(objection(cached, prompt)).isEmpty();
  }

  @Test
  void blocksChangedQuotedText() {
    assertThat(
            objection(
                "Translate \"Thank you for your order\" into French",
                "Translate \"Your order has shipped\" into French"))
        .contains("quoted");
    assertThat(objection("What does `git stash pop` do?", "What does `git stash drop` do?"))
        .contains("quoted");
    assertThat(
            objection(
                "Find log lines containing 'timeout'",
                "Find log lines containing 'connection reset'"))
        .contains("quoted");
  }

  @Test
  void quoteMarksThemselvesAreNotADifference() {
    assertThat(
            objection(
                "Explain the error \"connection refused\"", "explain the error connection refused"))
        .isEmpty();
    assertThat(objection("Don't use 'var' here", "Don't use “var” here")).isEmpty();
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "What does os.path.join do? | What does os.path.split do?",
        "Why does useEffect run twice? | Why does useMemo run twice?",
        "Set JAVA_HOME | Set MAVEN_HOME",
        "What does --force do? | What does --force-with-lease do?",
        "Read /etc/nginx/nginx.conf | Read /etc/nginx/sites-enabled/default",
        "Explain calculate_tax() | Explain calculate_discount()",
        "Fetch https://api.example.com/users | Fetch https://api.example.com/teams",
        "Send it to alice@example.com | Send it to bob@example.com",
        "Upgrade to 4.17.21 | Upgrade to 4.17.19",
      })
  void blocksAChangedIdentifier(String cached, String prompt) {
    assertThat(objection(cached, prompt)).contains("identifier");
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "How do I reset my password on Netflix? | How do I reset my password on Spotify?",
        "What is the capital of France? | What is the capital of Germany?",
        "Deploy the app to Heroku | Deploy the app to AWS",
        "Sales numbers for EMEA | Sales numbers for APAC",
        "Compare the iPhone with the Pixel | Compare the iPhone with the Galaxy",
        "Is it available on S3? | Is it available on EC2?",
        "What does GPT-4 cost? | What does GPT-3 cost?",
        "How do I install the Java SDK on Windows? | How do I install the Java SDK on Linux?",
      })
  void blocksAChangedName(String cached, String prompt) {
    assertThat(objection(cached, prompt)).isPresent();
    assertThat(objection(cached, prompt).get()).isIn("entity", "identifier");
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "How can I reset my password? | how do i reset my password",
        "In Python, how do I read a CSV file? | How do I read a CSV file in Python?",
        "Can I pay with PayPal? | can i pay with paypal",
        "HOW DO I TRACK MY ORDER | How do I track my order?",
        "Why is my order still pending!? | why is my order still pending",
        "How do I cancel my subscription? | how do i cancle my subscription",
        "Please write a unit test for this function. | Could you write a unit test for this function, please?",
        "Review my pull request | Could you review my PR?",
        "Does the Pro plan include single sign-on? | Does the Pro plan include SSO?",
        "What does GPT-4 cost? | What does gpt4 cost",
        "How To Reset My Password | how to reset my password",
        "Translate \"good morning\" into Spanish. | How do you say \"good morning\" in Spanish?",
      })
  void letsParaphrasesThrough(String cached, String prompt) {
    assertThat(objection(cached, prompt)).isEmpty();
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Paris or Rome in May? | Berlin or rome in May?",
        "Paris or Rome in May? | Berlin or Rome in May?",
        "Stripe or PayPal for a small shop? | Square or PayPal for a small shop?",
        "Which is faster? Postgres or Redis? | Which is faster? Cassandra or Redis?",
        "Postgres: how do I add an index? | Oracle: how do I add an index?",
      })
  void aCapitalisedFirstWordThatIsNoCommonWordIsANameWhenAnotherReplacesIt(
      String cached, String prompt) {
    assertThat(objection(cached, prompt)).contains("entity");
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Summarize this article. | Give me a summary of this article.",
        "Explain closures in JavaScript. | Describe JavaScript closures.",
        "Using Python, sort a list. | Sort a list in Python.",
        "Briefly, what is DNS? | What is DNS, briefly?",
        "Hey, quick question: how do I export my data? | How do I export my data?",
        "Draft a reply to this email. | Write a reply to this email.",
        "Let's plan a trip to Rome. | Plan a trip to Rome.",
        "Compose a haiku about the sea. | Write a haiku about the sea.",
        "Regex for email validation | Give me a regular expression to validate emails",
      })
  void commonWordsOpeningASentenceAndUnknownOnesDroppedAreNotNames(String cached, String prompt) {
    assertThat(objection(cached, prompt)).isEmpty();
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "I was charged $49.99 instead of $39.99. | I was charged $39.99 instead of $49.99.",
        "Convert 5 km to 3 miles | Convert 3 km to 5 miles",
        "Move the meeting from 2 pm to 4 pm | Move the meeting from 4 pm to 2 pm",
        "Is 7 greater than 12? | Is 12 greater than 7?",
      })
  void blocksTheSameNumbersInAnotherOrder(String cached, String prompt) {
    assertThat(objection(cached, prompt)).contains("number");
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "A 5 by 5 grid with 3 colours | A grid of 5 by 5 with 3 colours",
        "Between 2019 and 2021, how many releases? | How many releases between 2019 and 2021?",
        "Book a table for 4 | For 4 people, book a table",
      })
  void numbersInTheSameOrderOrOnlyOneValueAreNotSwapped(String cached, String prompt) {
    assertThat(objection(cached, prompt)).isEmpty();
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Translate this email into Spanish. | Reply to this email in Spanish.",
        "Write a poem about autumn. | Write a short story about autumn.",
        "Summarize this article. | Critique this article.",
        "Explain this SQL query. | Optimize this SQL query.",
        "Write a cover letter for this job. | Review my cover letter for this job.",
        "Write a regex that matches dates. | Write a function that matches dates.",
        "How do I cancel my subscription? | How do I pause my subscription?",
        "Compare these two lists. | Merge these two lists.",
        "Give me a tagline for my bakery. | Give me a joke about my bakery.",
        "Format this data as a table. | Format this data as a chart.",
      })
  void blocksOneTaskReplacedByAnother(String cached, String prompt) {
    assertThat(objection(cached, prompt)).contains("intent");
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Summarize this report. | Condense this report.",
        "Summarise the meeting notes. | TL;DR the meeting notes.",
        "Sum up this thread. | Give me the gist of this thread.",
        "Rephrase this sentence. | Reword this sentence.",
        "Explain what a closure is. | Describe what a closure is.",
        "Write a haiku about the sea. | Compose a poem about the sea.",
        "Categorize these tickets. | Classify these tickets.",
        "Pull out the dates from this text. | Extract the dates from this text.",
        "Debug this function. | Fix this function.",
        "Write an email to my landlord. | Draft a message to my landlord.",
        "Regex for UK postcodes | Regular expression for UK postcodes",
        "Recommend a few sci-fi novels. | What sci-fi books would you suggest?",
      })
  void letsSynonymsWithinATaskClassThrough(String cached, String prompt) {
    assertThat(objection(cached, prompt)).isEmpty();
  }

  @ParameterizedTest(name = "{0} | {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Summarize this article. | Could you give me a summary of this article, please?",
        "Write a summary of this article. | Summarize this article.",
        "Translate \"good morning\" into Spanish. | How do you say \"good morning\" in Spanish?",
        "What is the difference between TCP and UDP? | TCP vs UDP?",
        "Write a Python function that checks whether a number is prime. | Python function to test if a number is prime",
        "Why does my script crash on startup? | My script crashes when it starts, why?",
      })
  void letsATaskWordOnOneSideOnlyAndOtherRewordingThrough(String cached, String prompt) {
    assertThat(objection(cached, prompt)).isEmpty();
  }

  @Test
  void extraTaskClassesAreUsedWithTheirInflectionsAndWinOverTheBuiltIns() {
    FalseHitGuard custom =
        FalseHitGuard.builder()
            .taskClass("refund", "money back")
            .taskClass("return", "send back")
            .taskClass("summarize", "explain") // this application treats the two alike
            .build();

    assertThat(
            custom.objection(
                "Can I get my money back for this order?", "Can I send back this order?"))
        .contains("intent");
    assertThat(custom.objection("I want this order refunded.", "I want my money back.")).isEmpty();
    assertThat(custom.objection("Summarize this article.", "Explain this article.")).isEmpty();
    assertThat(guard.objection("Summarize this article.", "Explain this article."))
        .contains("intent");
    assertThat(
            FalseHitGuard.builder()
                .disable(Check.INTENT)
                .build()
                .objection("Translate this email.", "Reply to this email."))
        .isEmpty();
  }

  @Test
  void reportsTheFirstCheckThatObjectsInCheckOrder() {
    assertThat(objection("Don't enable 2 workers", "Enable 3 workers")).contains("negation");
    assertThat(objection("Enable 2 workers", "Disable 3 workers")).contains("opposite");
  }

  @Test
  void disabledChecksDoNotObject() {
    FalseHitGuard lenient = FalseHitGuard.builder().disable(Check.ENTITY, Check.NUMBER).build();

    assertThat(lenient.objection("Deploy to Heroku", "Deploy to AWS")).isEmpty();
    assertThat(lenient.objection("Retry 3 times", "Retry 5 times")).isEmpty();
    assertThat(lenient.objection("Retry 3 times", "Never retry")).contains("negation");
    assertThat(
            FalseHitGuard.builder()
                .disable(Check.values())
                .build()
                .objection("Enable it", "Disable it"))
        .isEmpty();
  }

  @Test
  void extraOppositePairsAndNegationWordsAreUsedWithTheirInflections() {
    FalseHitGuard custom =
        FalseHitGuard.builder()
            .oppositePair("approve", "veto")
            .oppositePair("check in", "check out")
            .negationWord("sans")
            .build();

    assertThat(custom.objection("The bill was approved", "The bill was vetoed"))
        .contains("opposite");
    assertThat(custom.objection("Room with breakfast", "Room sans breakfast")).contains("negation");
    assertThat(guard.objection("Room with breakfast", "Room sans breakfast")).isEmpty();
  }

  @Test
  void builderRejectsBadWordsNamingThem() {
    assertThatThrownBy(() -> FalseHitGuard.builder().oppositePair("same", "Same"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("same");
    assertThatThrownBy(() -> FalseHitGuard.builder().oppositePair("one two three", "four"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one two three");
    assertThatThrownBy(() -> FalseHitGuard.builder().negationWord("not at all"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not at all");
    assertThatThrownBy(() -> FalseHitGuard.builder().taskClass("write", "come up with"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("come up with");
    assertThatThrownBy(() -> FalseHitGuard.builder().taskClass())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one");
  }

  @Test
  void identicalPromptsNeverObjectAndNullIsRejected() {
    assertThat(guard.objection("Don't delete 3 files", "Don't delete 3 files")).isEmpty();
    assertThatThrownBy(() -> guard.objection(null, "x"))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("cachedPrompt");
  }

  @Test
  void objectionsNameOnlyTheCategoryNeverPromptText() {
    for (Check check : Check.values()) {
      assertThat(check.category()).matches("[a-z]+");
    }
    assertThat(guard.objection("Deploy secret-project-x to Heroku", "Deploy it to AWS"))
        .hasValueSatisfying(category -> assertThat(category).doesNotContain("Heroku"));
  }

  @Test
  void hugeAdversarialInputReturnsQuickly() {
    String sentence = "Please don't enable the 2 `flags` \"in\" os.path.join(x) for AWS S3 v1.2 ";
    String huge = sentence.repeat(100_000 / sentence.length() + 1);
    String quotes = "\"'`".repeat(40_000);
    String noSpaces = "a_b.c".repeat(30_000);

    long started = System.nanoTime();
    for (int i = 0; i < 10; i++) {
      guard.objection(huge, huge + " and disable it");
      guard.objection(quotes, noSpaces);
    }
    Duration perPair = Duration.ofNanos((System.nanoTime() - started) / 20);
    // A bound against reading whole prompts (the guard reads MAX_ANALYSED_CHARS of each), not a
    // speed claim: a bounded pair takes milliseconds, an unbounded quadratic one minutes; the
    // margin keeps the test steady on a loaded machine. Speed is in docs/benchmarks.md.
    assertThat(perPair).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void readsTheHeadAndTheTailOfALongPrompt() {
    String document = "The quarterly numbers look fine. ".repeat(1_000);

    assertThat(
            guard.objection(
                document + "Should we enable the feature?",
                document + "Should we disable the feature?"))
        .contains("opposite");
    assertThat(PromptMarkers.clip(document).length())
        .isLessThanOrEqualTo(FalseHitGuard.MAX_ANALYSED_CHARS + 1);
  }

  @Test
  void isSafeToShareBetweenThreads() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 2_000; i++) {
                    if (!guard
                            .objection("Enable 2FA on Slack", "Disable 2FA on Slack")
                            .equals(Optional.of("opposite"))
                        || guard
                            .objection("How can I reset my password?", "how do i reset my password")
                            .isPresent()) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get(30, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anAcronymAgainstItsNameSpelledOutWithFunctionWordsIsNoNameMissing() {
    FalseHitGuard guard = FalseHitGuard.defaults();
    assertThat(
            guard.objection(
                "How do I renew my DMV registration?",
                "How do I renew my Department of Motor Vehicles registration?"))
        .isEmpty();
    assertThat(
            guard.objection(
                "Where is the ISBN printed?",
                "Where is the International Standard Book Number printed?"))
        .isEmpty();
    assertThat(
            guard.objection(
                "How do I renew my DMV registration?",
                "How do I renew my Department of Public Works registration?"))
        .contains("entity");
  }
}
