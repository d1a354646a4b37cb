package dev.aigateway.benchmarks;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Writes {@code semantic-eval/tuning.tsv}: labelled prompt pairs made from templates and slot
 * fillers, the set the semantic cache's check is tuned on (docs/semantic-eval.md). It is built by a
 * different method from the hand-written judged set ({@code judged.tsv}), and with its own words,
 * so tuning on it does not fit the judged pairs.
 *
 * <p>Each category pairs a template with two fillers that differ in one kind of detail (a
 * quantifier, a modal, a tense, a role swap, a scope noun, an antonym, an action, a clock time, a
 * negation), or that say the same thing another way (a synonym, filler, an abbreviation, another
 * order). The choice is seeded, so the file is the same on every run.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.TuningSetGenerator \
 *     benchmarks/src/main/resources/semantic-eval/tuning.tsv
 * </pre>
 */
public final class TuningSetGenerator {

  private static final int PER_CATEGORY = 24;

  private final Random random = new Random(20261204L);
  private final Set<String> rows = new LinkedHashSet<>();

  private TuningSetGenerator() {}

  /**
   * Writes the set.
   *
   * @param args the file to write
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: TuningSetGenerator OUTPUT.tsv");
    }
    List<String> rows = generate();
    try (Writer out = Files.newBufferedWriter(Path.of(args[0]), StandardCharsets.UTF_8)) {
      out.write("label\tcategory\tcached_prompt\tincoming_prompt\tsplit\n");
      for (String row : rows) {
        out.write(row);
        out.write('\n');
      }
    }
    System.out.println("wrote " + rows.size() + " pairs to " + args[0]);
  }

  /** Every row of the set, without the header. */
  static List<String> generate() {
    TuningSetGenerator g = new TuningSetGenerator();
    g.nearMisses();
    g.paraphrases();
    return new ArrayList<>(g.rows);
  }

  private void nearMisses() {
    String[][] quantifiers = {{"all", "some"}, {"each", "any"}, {"most", "few"}, {"all", "none"}};
    String[] quantified = {
      "Do %s of the invoices have a due date?",
      "Are %s of the students enrolled in the course?",
      "Did %s of the backups succeed?",
      "Should %s of the rooms have smoke detectors?",
      "Can %s of the guests use the spa?",
      "Are %s of the packages insured?",
      "Do %s of the drivers need a permit?",
    };
    fill("quantifier", quantified, quantifiers);

    String[][] modals = {
      {"Can", "Must"}, {"Should", "Can"}, {"May", "Must"}, {"Could", "Should"}, {"Will", "Might"}
    };
    String[] modal = {
      "%s I renew the lease early?",
      "%s we encrypt the logs at rest?",
      "%s the intern approve purchase orders?",
      "%s I take vitamin D with dinner?",
      "%s the tenant paint the walls?",
      "%s I share the recording with clients?",
    };
    fill("modality", modal, modals);

    String[][] tenses = {
      {"Did the %s arrive?", "Will the %s arrive?"},
      {"Has the %s been approved?", "Will the %s be approved?"},
      {"Was the %s cancelled?", "Is the %s cancelled?"},
      {"Is the %s ready?", "Was the %s ready?"},
    };
    String[] tensed = {
      "shipment", "invoice", "permit", "loan", "firmware update", "reimbursement", "lab result"
    };
    pairs("tense", tenses, tensed);

    String[][] ends = {
      {"Spanish", "Italian"},
      {"Kotlin", "Scala"},
      {"Oracle", "SQL Server"},
      {"Dropbox", "OneDrive"},
      {"Lyon", "Geneva"},
      {"pounds", "yen"},
      {"CSV", "Parquet"},
    };
    String[] swap = {
      "Convert the file from %s to %s.",
      "Is %s cheaper than %s?",
      "Move the data from %s to %s.",
      "How do I switch from %s to %s?",
      "Why is %s slower than %s?",
    };
    for (int i = 0; i < PER_CATEGORY; i++) {
      String[] e = pick(ends);
      String t = pick(swap);
      add("near_miss", "role_swap", String.format(t, e[0], e[1]), String.format(t, e[1], e[0]));
    }

    String[][] scopes = {
      {"seniors", "kids"}, {"nurses", "pilots"}, {"landlords", "tenants"}, {"startups", "banks"},
      {"spring", "autumn"}, {"cats", "horses"}, {"renters", "homeowners"}, {"vegans", "athletes"},
    };
    String[] scoped = {
      "What insurance is best for %s?",
      "Plan a weekly schedule for %s.",
      "What are common mistakes of %s?",
      "Which gifts are popular with %s?",
      "Write a safety checklist for %s.",
      "What budget app suits %s?",
    };
    fill("scope", scoped, scopes);

    String[][] antonyms = {
      {"warm", "chilly"}, {"thick", "thin"}, {"rough", "smooth"}, {"cheap", "expensive"},
      {"bright", "dim"}, {"full", "empty"}, {"early", "late"}, {"sharp", "dull"},
      {"wide", "narrow"}, {"heavy", "light"},
    };
    String[] antonymous = {
      "Why is the %s option recommended?",
      "How do I deal with a %s blade?",
      "What causes a %s texture in the paint?",
      "Is a %s room bad for sleep?",
      "Tips for a %s start to the day",
    };
    fill("antonym", antonymous, antonyms);

    String[][] actions = {
      {"archive", "export"}, {"star", "flag"}, {"duplicate", "lock"}, {"rename", "pin"},
      {"snooze", "label"}, {"hide", "mute"}, {"approve", "escalate"}, {"clone", "rollback"},
    };
    String[] acted = {
      "How do I %s a note in Evernote?",
      "How can I %s a message in Outlook?",
      "How do I %s a project in Asana?",
      "How do I %s a playlist on Spotify?",
      "Can I %s a document in Notion?",
    };
    fill("action", acted, actions);

    String[][] clocks = {
      {"5:30 am", "5:30 pm"},
      {"8:15", "8:45"},
      {"14:00", "16:00"},
      {"noon", "midnight"},
      {"10 am", "10 pm"},
      {"9:05", "9:50"},
      {"7:00", "19:00"},
    };
    String[] clocked = {
      "Book the conference call for %s.",
      "Is the museum open at %s?",
      "Send the newsletter at %s.",
      "Wake me at %s on Saturday.",
      "Can I pick up the car at %s?",
    };
    fill("clock_time", clocked, clocks);

    String[][] negations = {
      {"Which invoices are paid?", "Which invoices are not paid?"},
      {"Show tasks that are finished.", "Show tasks that aren't finished."},
      {"Can I fly with a vape pen?", "Can I fly without a vape pen?"},
      {"List students who passed.", "List students who never passed."},
      {"Why does the sensor respond?", "Why doesn't the sensor respond?"},
      {"Which rooms have heating?", "Which rooms have no heating?"},
    };
    for (String[] n : negations) {
      add("near_miss", "negation", n[0], n[1]);
    }
  }

  private void paraphrases() {
    String[][] synonyms = {
      {"alter", "change"}, {"obtain", "get"}, {"purchase", "buy"}, {"locate", "find"},
      {"remove", "delete"}, {"commence", "begin"}, {"view", "see"}, {"amend", "edit"},
      {"assist me to", "help me"}, {"configure", "set up"},
    };
    String[] synonymous = {
      "How do I %s the shipping label?",
      "Where can I %s the quarterly statement?",
      "How can I %s a gift voucher?",
      "How do I %s the printer queue?",
    };
    fill("synonym_verb", synonymous, synonyms, "paraphrase");

    String[] fillers = {
      "Please, %s",
      "Hi! %s",
      "Quick question, %s",
      "Could you tell me: %s",
      "Hello there. %s",
      "Thanks. %s",
      "I'm not sure, but %s",
      "Not sure if you know, but %s",
      "I don't know much about this: %s",
      "Sorry to bother you, %s",
    };
    String[] questions = {
      "how do I pair my headphones?",
      "what is the late fee for the library?",
      "how do I file a warranty claim?",
      "what is a bridge loan?",
      "how do I reset the thermostat?",
      "where do I find the tracking number?",
      "how long does a passport renewal take?",
    };
    for (int i = 0; i < PER_CATEGORY; i++) {
      String q = pick(questions);
      String f = pick(fillers);
      String bare = Character.toUpperCase(q.charAt(0)) + q.substring(1);
      add("paraphrase", "filler", String.format(f, q), bare);
    }

    String[][] places = {{"in the world", ""}, {"on the planet", ""}, {"on Earth", ""}};
    String[] superlatives = {
      "What is the deepest lake%s?",
      "Which is the longest river%s?",
      "What is the oldest university%s?",
      "Which is the busiest airport%s?",
    };
    for (String s : superlatives) {
      String[] p = pick(places);
      add("paraphrase", "filler_place", String.format(s, " " + p[0]), String.format(s, p[1]));
    }

    String[][] abbreviations = {
      {"HR", "human resources"}, {"ASAP", "as soon as possible"}, {"IT", "information technology"},
      {"VAT", "value added tax"}, {"ATM", "cash machine"}, {"info", "information"},
      {"docs", "documentation"}, {"config", "configuration"}, {"repo", "repository"},
      {"approx.", "approximately"}, {"min", "minimum"},
    };
    String[] abbreviated = {
      "Who do I ask in %s about my contract?",
      "Where can I read the %s for the API?",
      "Send me the %s about the new policy.",
      "What is the %s deposit for the flat?",
    };
    for (int i = 0; i < PER_CATEGORY; i++) {
      String[] a = pick(abbreviations);
      String t = pick(abbreviated);
      add("paraphrase", "abbreviation", String.format(t, a[0]), String.format(t, a[1]));
    }

    String[][] reorders = {
      {"In Go, how do I %s?", "How do I %s in Go?"},
      {"On macOS, how do I %s?", "How do I %s on macOS?"},
      {"For my thesis, how do I %s?", "How do I %s for my thesis?"},
      {"At work, how do I %s?", "How do I %s at work?"},
    };
    String[] tasks = {
      "parse a date string",
      "print a table",
      "compress a folder",
      "track my hours",
      "cite a website",
    };
    pairs("reorder", reorders, tasks, "paraphrase");

    String[][] symmetric = {
      {"Vue", "Svelte"},
      {"stocks", "bonds"},
      {"yoga", "pilates"},
      {"Porto", "Seville"},
      {"Jenkins", "GitLab CI"},
    };
    String[] symmetrical = {
      "What's the difference between %s and %s?", "Compare %s and %s.", "%s or %s for a beginner?",
    };
    for (int i = 0; i < PER_CATEGORY / 2; i++) {
      String[] s = pick(symmetric);
      String t = pick(symmetrical);
      add(
          "paraphrase",
          "symmetric_order",
          String.format(t, s[0], s[1]),
          String.format(t, s[1], s[0]));
    }

    String[][] clocks = {
      {"7 pm", "19:00"},
      {"8:30 am", "8:30"},
      {"noon", "12:00"},
      {"9 am", "9:00 am"},
      {"11 p.m.", "11pm"},
    };
    String[] clocked = {"Book the tennis court for %s.", "Is the bakery open at %s?"};
    for (String[] c : clocks) {
      add(
          "paraphrase",
          "clock_equiv",
          String.format(clocked[0], c[0]),
          String.format(clocked[0], c[1]));
      add(
          "paraphrase",
          "clock_equiv",
          String.format(clocked[1], c[0]),
          String.format(clocked[1], c[1]));
    }

    String[][] equivalents = {
      {"Do I need to %s?", "Do I have to %s?"},
      {"Is it possible to %s?", "Can I %s?"},
      {"Am I able to %s?", "Can I %s?"},
    };
    String[] needs = {
      "register my bike", "pay the toll online", "bring a helmet", "cancel the lesson",
    };
    pairs("closed_class_equiv", equivalents, needs, "paraphrase");
  }

  private void fill(String category, String[] templates, String[][] fillers) {
    fill(category, templates, fillers, "near_miss");
  }

  private void fill(String category, String[] templates, String[][] fillers, String label) {
    int before = rows.size();
    for (int tries = 0; rows.size() - before < PER_CATEGORY && tries < 10 * PER_CATEGORY; tries++) {
      String t = pick(templates);
      String[] f = pick(fillers);
      boolean flip = random.nextBoolean();
      add(label, category, String.format(t, f[flip ? 1 : 0]), String.format(t, f[flip ? 0 : 1]));
    }
  }

  private void pairs(String category, String[][] templates, String[] fillers) {
    pairs(category, templates, fillers, "near_miss");
  }

  private void pairs(String category, String[][] templates, String[] fillers, String label) {
    int before = rows.size();
    for (int tries = 0; rows.size() - before < PER_CATEGORY && tries < 10 * PER_CATEGORY; tries++) {
      String[] t = pick(templates);
      String f = pick(fillers);
      add(label, category, String.format(t[0], f), String.format(t[1], f));
    }
  }

  private <T> T pick(T[] options) {
    return options[random.nextInt(options.length)];
  }

  private void add(String label, String category, String cached, String incoming) {
    if (!cached.equals(incoming)) {
      rows.add(label + "\t" + category + "\t" + cached + "\t" + incoming + "\ttuning");
    }
  }
}
