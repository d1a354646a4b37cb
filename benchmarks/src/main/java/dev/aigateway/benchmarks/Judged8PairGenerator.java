package dev.aigateway.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the generated part of {@code semantic-eval/judged-8.tsv} (split {@code judged8-gen}):
 * labelled prompt pairs from templates in fourteen domains no other set covers (golf, saunas and
 * spas, caravans and campsites, ice rinks, paragliding, theme parks, body piercing, trampoline
 * parks, cinemas, blood donation, go-karting, paintball, hot-air ballooning, coworking spaces).
 *
 * <p>A template carries its own alternatives inline:
 *
 * <ul>
 *   <li>a near miss template holds one group {@code {a|b}} (or {@code {a|b|c}}): the cached prompt
 *       takes the first option, the incoming prompt another one, so the two prompts differ in that
 *       one detail only;
 *   <li>a role template marks two terms with brackets, {@code [a] ... [b]}: the incoming prompt
 *       trades their places;
 *   <li>a paraphrase template holds one or more groups {@code {x~y}} of two wordings that mean the
 *       same: the cached prompt takes every left wording, the incoming prompt every right one.
 * </ul>
 *
 * <p>Each family (one kind of difference, several templates) expands to its candidate pairs, which
 * a seeded shuffle orders; the first {@code wanted} candidates whose prompts were not used before
 * (in any case) are kept, so every prompt appears once and the rows are the same on every run.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.Judged8PairGenerator \
 *     OUTPUT.tsv
 * </pre>
 *
 * <p>The command writes the rows without a header; {@code judged-8.tsv} holds them after its
 * hand-written rows.
 */
public final class Judged8PairGenerator {

  /** The split every generated row carries. */
  static final String SPLIT = "judged8-gen";

  private static final long SEED = 8_2026_12_05L;

  private static final Pattern CHOICE = Pattern.compile("\\{([^{}]*\\|[^{}]*)}");
  private static final Pattern WORDING = Pattern.compile("\\{([^{}~]*)~([^{}~]*)}");
  private static final Pattern ROLE = Pattern.compile("\\[([^\\]]+)]");

  private final Random random = new Random(SEED);
  private final Set<String> used = new HashSet<>();
  private final List<String> rows = new ArrayList<>();

  private Judged8PairGenerator() {}

  /**
   * Writes the generated rows to a file.
   *
   * @param args one argument: the file to write
   * @throws IOException if the file cannot be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: Judged8PairGenerator OUTPUT.tsv");
    }
    List<String> generated = rows();
    Files.write(Path.of(args[0]), generated, StandardCharsets.UTF_8);
    System.out.println(generated.size() + " rows written to " + args[0]);
  }

  /** The generated rows, in order, without a header. */
  static List<String> rows() {
    Judged8PairGenerator generator = new Judged8PairGenerator();
    generator.nearMissesOfNewKinds();
    generator.nearMissesOfKnownKinds();
    generator.paraphrases();
    return List.copyOf(generator.rows);
  }

  private void nearMissesOfNewKinds() {
    nearMiss(
        "season",
        5,
        "Is the outdoor ice rink in Jubilee Park open in {January|April}?",
        "Do campsites in the Lake District need booking months ahead for {August|November}?",
        "Is {summer|winter} a good season for a first tandem paragliding flight in the Alps?",
        "What should I wear for a round of golf in Scotland in {winter|summer}?",
        "Does the theme park run its water rides in {July|October}?",
        "Which sleeping bag rating do I need for caravan camping in the Highlands in {March|July}?");
    nearMiss(
        "gender",
        4,
        "Which tees do {women|men} usually play from on a par 4 at a club course?",
        "Which {women's|men's} golf clubs suit a beginner who is 5 ft 4?",
        "Which sauna sessions are {women-only|men-only} at the city baths?",
        "Is there a {ladies'|men's} evening at the spa on Wednesdays?",
        "Is there a {women's|men's} 18-hole medal competition at Hollins Park this month?");
    nearMiss(
        "dietary",
        4,
        "Does the cinema sell {vegan|sugar-free} popcorn?",
        "Is the theme park's fish and chips stand {gluten-free|halal}?",
        "Can the coworking space's cafe make a {vegan|nut-free} lunch for our team day?",
        "Is the spa's afternoon tea available {dairy-free|low-carb}?",
        "What should I eat before giving blood if I'm {vegan|on a keto diet}?");
    nearMiss(
        "indoor_outdoor",
        4,
        "Are {indoor|outdoor} go-karts allowed for children under 8?",
        "Do I need sunscreen for {outdoor|indoor} paintball in June?",
        "Does the {outdoor|indoor} ice rink close when it rains?",
        "Is an {indoor|outdoor} trampoline park safe in a thunderstorm?",
        "Is the {outdoor|indoor} pool at the spa heated in December?");
    nearMiss(
        "weekday_weekend",
        4,
        "Is the sauna quieter on {weekday|weekend} mornings?",
        "How much is a round of golf at Hollins Park on {a weekday|a Saturday}?",
        "Are cinema tickets cheaper {on weekdays|at weekends} before 5 pm?",
        "Can I give blood at the city centre donor centre {on weekdays|on Sundays}?",
        "Does the coworking day pass include {weekday|weekend} access?");
    nearMiss(
        "new_used",
        3,
        "Is it worth buying a {used|new} paragliding wing for my first year of flying?",
        "What should I check before buying {a used|a new} touring caravan?",
        "How much do {used|new} racing go-karts cost for a club driver?",
        "Are {second-hand|new} golf balls fine for a beginner?");
    nearMiss(
        "body_part",
        4,
        "Which jewellery is safest for a fresh {ear lobe|tongue} piercing?",
        "How long does a {nose|navel} piercing take to heal?",
        "Which stretch helps a stiff {lower back|neck} before a round of golf?",
        "Can I skate with a bruised {knee|wrist} from a fall last week?",
        "Can I get {a septum|an eyebrow} piercing if I wear glasses?");
    nearMiss(
        "material",
        4,
        "Is a {titanium|surgical steel} stud better for a new cartilage piercing?",
        "Can I wear a {cotton|merino} base layer for a winter paragliding flight?",
        "Is {an aluminium|a fibreglass} caravan roof easier to repair?",
        "Are {leather|plastic} ice skate boots better for a beginner?",
        "Is {a silicone|an acrylic} plug safe to wear in a stretched ear lobe overnight?");
    nearMiss(
        "kinship",
        3,
        "Do I need a parent's consent for my {daughter|sister}, aged 16, to get a nose piercing?",
        "Does the caravan club's family membership cover my {children|parents}?",
        "Is my {wife|sister-in-law} covered by my family pass at the theme park?");
    nearMiss(
        "transport_mode",
        3,
        "What is the best way to get to the theme park from London {by train|by car}?",
        "Can I take my paraglider on the {bus|cable car} up to the launch site?",
        "How long does it take to reach the campsite from the station {on foot|by bike}?");
    nearMiss(
        "fuel_type",
        3,
        "Can I tow a twin-axle caravan with a {diesel|electric} SUV?",
        "Are {electric|petrol} go-karts faster on an indoor track?",
        "Can I refill {LPG|diesel} at the campsite shop?",
        "Does the balloon company fly on {propane|butane} in winter?");
    nearMiss(
        "employment_type",
        3,
        "Does the coworking space offer a discount for {freelancers|employees of member companies}?",
        "Can {part-time|full-time} staff at the theme park get a free season pass?",
        "Can a {self-employed|salaried} golf coach join the club's pension scheme?",
        "Do {agency|permanent} staff at the cinema get free tickets?");
  }

  private void nearMissesOfKnownKinds() {
    nearMiss(
        "number",
        5,
        "How long does {an 18|a 9}-hole round take for a group of four?",
        "Can {4|12} people share one private sauna booking?",
        "Can I give blood if I weigh {55|45} kg?",
        "Is a {10|40}-minute go-kart session enough for a birthday party?",
        "How much is a pitch for a {2|6}-berth caravan in August?",
        "Can a basket for {8|16} passengers fly over the city centre?");
    nearMiss(
        "clock_time",
        4,
        "Is there a public skating session at {7:30 am|7:30 pm} on Saturdays?",
        "Can I check in at the campsite at {10 pm|10 am}?",
        "Is the {6:45 pm|6:45 am} tee time free for two players?",
        "Is the sauna still heated at {9 pm|9 am}?",
        "Does the {9:15 am|9:15 pm} balloon flight include breakfast?");
    roleSwap(
        "role_swap",
        5,
        "Does the free shuttle run from [the hotel] to [the theme park] after 10 pm?",
        "Can I swap my [cinema ticket] for a [gift card]?",
        "Is a [paraglider] faster than a [hang glider]?",
        "Is the [red] track harder than the [blue] track at the go-kart centre?",
        "Should I do the [beginner] session before the [advanced] session at the ice rink?",
        "Can I upgrade from the [day pass] to the [monthly desk] at the coworking space?");
    nearMiss(
        "negation",
        4,
        "Which rides {can|can't} pregnant visitors go on at the theme park?",
        "Which golf courses near Leeds {allow|don't allow} metal spikes?",
        "Which films at the cinema {are|aren't} suitable for under-12s this weekend?",
        "Which sessions at the ice rink {require|don't require} a booking?",
        "Which medicines {stop|don't stop} me from giving blood?");
    nearMiss(
        "quantifier",
        3,
        "Do {all|any} of the theme park's rides have a single-rider queue?",
        "Are {all|some} of the campsite's pitches hard-standing?",
        "Are {all|most} of the saunas at the spa mixed?",
        "Do {all|none} of the trampoline park's sessions need grip socks?");
    nearMiss(
        "modality",
        3,
        "{Must|Can} I wear a swimsuit in the sauna at the city baths?",
        "{Do I have to|May I} bring my own paintball mask?",
        "{Should|Must} I tip the balloon pilot after the flight?",
        "{Do I have to|Can I} book a caddie at Hollins Park?");
    nearMiss(
        "tense",
        3,
        "{Did|Will} the theme park open the new coaster on schedule?",
        "{Did|Will} the blood drive at the town hall take walk-ins?",
        "{Did|Will} the campsite raise its pitch prices this season?",
        "{Has|Will} the coworking space {added|add} a second meeting room?");
    nearMiss(
        "comparative",
        3,
        "Is a Finnish sauna {hotter|more humid} than a steam room?",
        "Are the indoor go-karts {faster|slower} than the outdoor ones at Raceway?",
        "Is a tandem paragliding flight {cheaper|longer} than a balloon flight?",
        "Is a golf buggy {faster|cheaper} than walking the course?");
    nearMiss(
        "antonym",
        3,
        "How do I make my new ice skates feel {looser|tighter}?",
        "Why do my golf drives go so {high|low}?",
        "Why is the spa's plunge pool so {cold|warm} today?",
        "How do I stop the caravan awning from being so {slack|taut}?");
    nearMiss(
        "scope",
        4,
        "Is the paintball arena right for {a stag party|a ten-year-old's birthday}?",
        "Which go-kart class is right for {adults|children under 12}?",
        "Is the theme park's Dragon ride OK for {toddlers|teenagers}?",
        "Does the coworking space suit {a solo designer|a team of twenty}?",
        "Can {first-time donors|regular donors} give plasma at the mobile unit?");
    nearMiss(
        "action",
        5,
        "How do I {cancel|reschedule} my hot-air balloon flight?",
        "Can I {extend|transfer} my season pass at the theme park?",
        "How do I {clean|change} a new belly button piercing?",
        "Can I {pause|cancel} my coworking membership in August?",
        "How do I {sharpen|store} my ice skates?",
        "How do I {level|hitch} my caravan on my own?");
    nearMiss(
        "threshold_side",
        3,
        "Can I give blood if my haemoglobin is {above|below} 125 g/L?",
        "Is paragliding safe in gusts {under|over} 20 km/h?",
        "Is the trampoline park's toddler hour for children {under|over} 4?",
        "Do golf buggies cost extra for rounds {over|under} 9 holes?");
    nearMiss(
        "with_without",
        3,
        "Can I go in the spa pool {with|without} a swimming cap?",
        "How much is a cinema ticket {with|without} 3D glasses?",
        "Is a caravan pitch cheaper {with|without} an electric hook-up?",
        "Is the go-kart session cheaper {with|without} a race licence?");
    nearMiss(
        "ordinal",
        3,
        "Is the {first|last} showing at the cinema on Sundays cheaper?",
        "How hard is the {first|eighteenth} hole at Hollins Park?",
        "Is the {second|fifth} blood donation quicker than the first one?",
        "Which ride is in the {first|third} zone of the theme park?");
    nearMiss(
        "time_range",
        4,
        "Can I eat {before|after} giving blood?",
        "Should I shower {before|after} the sauna?",
        "Can I swim {before|after} my new navel piercing heals?",
        "Is parking free at the theme park {before|after} 5 pm?");
    nearMiss(
        "min_max",
        3,
        "What is the {minimum|maximum} age for a tandem paragliding flight?",
        "What is the {minimum|maximum} weight for a hot-air balloon passenger?",
        "What is the {minimum|maximum} group size for a paintball booking?",
        "What is the {minimum|maximum} length of stay at the campsite?");
    nearMiss(
        "frequency",
        3,
        "How much is a desk at the coworking space {per day|per month}?",
        "Is it safe to use the sauna {daily|weekly}?",
        "How much is the theme park season pass if I pay {monthly|yearly}?",
        "Should I re-proof my caravan awning {every year|every month}?");
    nearMiss(
        "asker_role",
        2,
        "As {the caravan's owner|the person renting the caravan}, who pays if the awning tears?",
        "As {a member|a guest}, can I book a tee time a week ahead?",
        "As {the organiser|a player}, what do I need to bring to the paintball day?");
    nearMiss(
        "recurring_one_off",
        2,
        "Is there a {one-off|monthly} fee for a locker at the coworking space?",
        "Can I pay for a {single|weekly} skating lesson without joining the club?",
        "Can I book a {one-off|weekly} private sauna session without membership?");
  }

  private void paraphrases() {
    paraphrase(
        "reword",
        8,
        "{How early should I arrive for my balloon flight?~What time do I need to be there"
            + " before the balloon flight?}",
        "{Is the campsite dog-friendly?~Can we bring our dog to the campsite?}",
        "{Do I need golf shoes to play at Hollins Park?~Are golf shoes required at Hollins"
            + " Park?}",
        "{What happens if it rains on my paintball day?~Is the paintball day still on if it"
            + " rains?}",
        "{How long does a blood donation take?~How much time should I set aside to give"
            + " blood?}",
        "{Is the trampoline park suitable for a child with autism?~Does the trampoline park"
            + " cater for autistic children?}",
        "{Are there parent-and-baby screenings at the cinema?~Does the cinema run showings for"
            + " parents with babies?}",
        "{What is the dress code at the spa?~What should I wear to the spa?}",
        "{How fast do the go-karts at Raceway go?~What top speed do Raceway's go-karts"
            + " reach?}",
        "{Can I print documents at the coworking space?~Is there a printer I can use at the"
            + " coworking space?}");
    paraphrase(
        "synonym_verb",
        6,
        "How do I {fix~repair} a torn caravan awning?",
        "Can I {book~reserve} a private lane at the ice rink?",
        "How do I {clean~wash} a new ear piercing?",
        "Can I {cancel~call off} my paintball booking the day before?",
        "How do I {start~begin} learning to paraglide?",
        "Can I {bring~take} my own snacks into the cinema?",
        "How do I {join~become a member of} the golf club?");
    paraphrase(
        "question_imperative",
        5,
        "{What should I pack for a weekend in a caravan?~List what to pack for a weekend in a"
            + " caravan.}",
        "{Can you explain how a sauna ritual with infusions works?~Explain how a sauna ritual"
            + " with infusions works.}",
        "{Which theme park rides are best for a five-year-old?~Tell me the best theme park"
            + " rides for a five-year-old.}",
        "{How do I chip a golf ball onto the green?~Describe how to chip a golf ball onto the"
            + " green.}",
        "{What should I avoid after giving blood?~Tell me what to avoid after giving blood.}",
        "{How do I stop on ice skates?~Show me how to stop on ice skates.}");
    paraphrase(
        "number_equiv",
        5,
        "Can {two~2} people share one go-kart?",
        "Is a {six-hour~6-hour} coworking pass worth it?",
        "Can {a dozen~12} friends book one paintball pitch?",
        "Is a {1,500~1500} pound caravan motor mover worth buying?",
        "Can I give blood {three~3} months after getting a tattoo?",
        "Is {a quarter of an hour~15 minutes} long enough for a toddler at the trampoline"
            + " park?");
    paraphrase(
        "unit_equiv",
        4,
        "Can a {2 m~200 cm} tall person fit in a touring caravan bed?",
        "Can I fly a paraglider in winds of {20 km/h~20 kilometres an hour}?",
        "Is a {half-litre~500 ml} bottle of water enough for a round of golf?",
        "Is a {90-minute~one-and-a-half-hour} sauna session too long?",
        "Is {1 km~1,000 m} above the launch too high for a first thermal?");
    paraphrase(
        "clock_equiv",
        4,
        "Is the {7 pm~19:00} showing of the new Bond film sold out?",
        "Can I tee off at {half past six~6:30} in the morning?",
        "Does the spa close at {10 pm~22:00} on Fridays?",
        "Is the ice rink open at {quarter to nine~8:45} in the evening?",
        "Can we check out of the campsite at {noon~12 pm}?");
    paraphrase(
        "date_equiv",
        3,
        "Is the theme park open on {31 October~Halloween}?",
        "Is the cinema open on {25 December~Christmas Day}?",
        "Can I book a balloon flight for {14 Feb~Valentine's Day}?",
        "Is the ice rink open on {1 January~New Year's Day}?");
    paraphrase(
        "contraction",
        4,
        "Why {won't my golf buggy~will my golf buggy not} start?",
        "I {can't~cannot} find my caravan's water pump fuse, where is it?",
        "{What's~What is} the best age to start go-karting?",
        "Why {doesn't the sauna~does the sauna not} get hot enough?",
        "{I'm~I am} nervous about giving blood, what helps?");
    paraphrase(
        "spelling_variant",
        4,
        "Which {jewellery~jewelry} is best for a healing helix piercing?",
        "Is the cinema's {theatre~theater} 2 {wheelchair-accessible~wheelchair accessible}?",
        "Which {colour~color} paintball is easiest to wash out?",
        "How do I {organise~organize} a paintball day for twenty people?",
        "Does the spa have a {favourite~favorite} treatment for couples?");
    paraphrase(
        "abbreviation",
        5,
        "Does the coworking space have {a/c~air conditioning} in the meeting rooms?",
        "Does the caravan need an {MOT~annual roadworthiness test} like a car?",
        "Which {ID~identity document} do I need to give blood for the first time?",
        "How many {hrs~hours} does a hot-air balloon flight last?",
        "How much does a {BHPA~British Hang Gliding and Paragliding Association} pilot"
            + " rating course cost?",
        "What {info~information} do I need to bring to my first blood donation?");
    paraphrase(
        "reorder",
        5,
        "{Is the sauna mixed on Tuesdays?~On Tuesdays, is the sauna mixed?}",
        "{Can I bring a pushchair and a cool box into the theme park?~Can I bring a cool box"
            + " and a pushchair into the theme park?}",
        "{For a first flight, is a tandem paragliding ride safe?~Is a tandem paragliding ride"
            + " safe for a first flight?}",
        "{At the cinema, can I get a refund for a cancelled showing?~Can I get a refund for a"
            + " cancelled showing at the cinema?}",
        "{In the rain, is the paintball arena still open?~Is the paintball arena still open in"
            + " the rain?}",
        "{How far in advance should I book a balloon flight?~A balloon flight, how far in"
            + " advance should I book it?}");
    paraphrase(
        "filler",
        4,
        "{Can~Hi there, quick question: can} I bring my own skates to the public session?",
        "How do I look after a new tongue piercing{?~? Thanks in advance!}",
        "{What~Just wondering, what} is the age limit for the go-karts?",
        "{Is~So, um, is} the coworking space open on bank holidays?",
        "Do I need to book a tee time{?~? Cheers.}");
    paraphrase(
        "added_context",
        4,
        "{How do I~We're going for my dad's 60th. How do I} book a private hot-air balloon"
            + " flight?",
        "{Can I~My friend already has a membership. Can I} get a guest pass for the spa?",
        "{Is~It's our first caravan holiday. Is} it hard to reverse a caravan onto a pitch?",
        "{Do~I've been skating twice before. Do} I need lessons to join a public skating"
            + " session?",
        "{Can~I'm giving blood on Thursday. Can} I drink alcohol the night before giving"
            + " blood?");
    paraphrase(
        "polite_not",
        3,
        "{~I'm not a golfer, but} how long does a round of nine holes take?",
        "{~Not sure this is the right place to ask, but} can I give blood if I have a cold"
            + " sore?",
        "{~I don't know much about piercings, but} how do I know if a piercing is infected?",
        "{~Sorry if this isn't the right question, but} can I bring food into the theme"
            + " park?");
    paraphrase(
        "passive",
        3,
        "{Who checks~By whom are} the harnesses {~checked} before a paragliding flight?",
        "{Does the campsite provide~Are} gas bottles {~provided by the campsite}?",
        "{Does the spa include~Are} towels and robes {~included by the spa} in the day" + " pass?",
        "{Did staff clean~Were} the go-kart helmets {~cleaned by staff} after each session?");
    paraphrase(
        "closed_class_equiv",
        3,
        "Do I {need to~have to} wear grip socks at the trampoline park?",
        "Is {every~each} ride at the theme park included in the ticket?",
        "{Will~Is} the cinema {~going to} show the final in 3D?",
        "Do I {have to~need to} bring my own towel to the sauna?");
    paraphrase(
        "typo_casing",
        2,
        "How {long~lnog} does a {tongue~tounge} piercing take to heal?",
        "{Is~is} the {paintball~Paintball} arena open on {Mondays~mondays}?",
        "Can I {bring~brign} my own {golf~glof} trolley?");
  }

  /**
   * Near misses: each template's group {a|b|...} filled with its first and with each other option.
   */
  private void nearMiss(String kind, int wanted, String... templates) {
    List<String[]> candidates = new ArrayList<>();
    for (String template : templates) {
      Matcher group = CHOICE.matcher(template);
      if (!group.find()) {
        throw new IllegalArgumentException("no {a|b} group: " + template);
      }
      String[] options = group.group(1).split("\\|");
      String before = template.substring(0, group.start());
      String after = template.substring(group.end());
      for (int other = 1; other < options.length; other++) {
        candidates.add(
            new String[] {
              expandLeftovers(before + options[0] + after, 0),
              expandLeftovers(before + options[other] + after, 1)
            });
      }
    }
    keep("near_miss", kind, wanted, candidates);
  }

  /**
   * A second group in a near miss template ("{Has|Will} ... {added|add}") moves with the first: the
   * cached prompt takes every group's first option, the incoming prompt every group's second.
   */
  private static String expandLeftovers(String prompt, int side) {
    Matcher group = CHOICE.matcher(prompt);
    StringBuilder out = new StringBuilder();
    while (group.find()) {
      group.appendReplacement(out, Matcher.quoteReplacement(group.group(1).split("\\|")[side]));
    }
    group.appendTail(out);
    return out.toString();
  }

  /** Near misses: the two bracketed terms of each template trade places. */
  private void roleSwap(String kind, int wanted, String... templates) {
    List<String[]> candidates = new ArrayList<>();
    for (String template : templates) {
      Matcher term = ROLE.matcher(template);
      List<String> terms = new ArrayList<>();
      while (term.find()) {
        terms.add(term.group(1));
      }
      if (terms.size() != 2) {
        throw new IllegalArgumentException("not two [terms]: " + template);
      }
      String cached = template.replace("[", "").replace("]", "");
      String incoming =
          template
              .replace("[" + terms.get(0) + "]", "\u0000")
              .replace("[" + terms.get(1) + "]", terms.get(0))
              .replace("\u0000", terms.get(1));
      candidates.add(new String[] {cached, incoming});
    }
    keep("near_miss", kind, wanted, candidates);
  }

  /** Paraphrases: every {x~y} group of a template gives its left wording to one prompt. */
  private void paraphrase(String kind, int wanted, String... templates) {
    List<String[]> candidates = new ArrayList<>();
    for (String template : templates) {
      candidates.add(new String[] {wording(template, 1), wording(template, 2)});
    }
    keep("paraphrase", kind, wanted, candidates);
  }

  private static String wording(String template, int side) {
    Matcher group = WORDING.matcher(template);
    StringBuilder out = new StringBuilder();
    boolean any = false;
    while (group.find()) {
      any = true;
      group.appendReplacement(out, Matcher.quoteReplacement(group.group(side)));
    }
    if (!any) {
      throw new IllegalArgumentException("no {x~y} group: " + template);
    }
    group.appendTail(out);
    return sentenceCase(
        out.toString().replaceAll(" {2,}", " ").replaceAll(" ([?.,!])", "$1").strip());
  }

  private static String sentenceCase(String prompt) {
    return Character.toUpperCase(prompt.charAt(0)) + prompt.substring(1);
  }

  /** Orders a family's candidates by a seeded shuffle and keeps the first unused ones. */
  private void keep(String label, String kind, int wanted, List<String[]> candidates) {
    Collections.shuffle(candidates, random);
    int kept = 0;
    for (String[] candidate : candidates) {
      if (kept == wanted) {
        break;
      }
      String cached = candidate[0].toLowerCase(Locale.ROOT);
      String incoming = candidate[1].toLowerCase(Locale.ROOT);
      if (cached.equals(incoming) || used.contains(cached) || used.contains(incoming)) {
        continue;
      }
      used.add(cached);
      used.add(incoming);
      rows.add(String.join("\t", label, kind, candidate[0], candidate[1], SPLIT));
      kept++;
    }
    if (kept < wanted) {
      throw new IllegalStateException(kind + ": " + kept + " of " + wanted + " pairs");
    }
  }
}
