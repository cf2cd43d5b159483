/**
 * Concept marks for the stage-3 model (triage-fns.ts conceptMarker / withConcepts): the words of a
 * named class also appear as one private-use mark per class, so 俺闺女 and 我家妮儿 share grams.
 */
import { describe, expect, it } from "vitest";
import { featurise } from "../../src/triage/classifier-fns.ts";
import { conceptMarker, withConcepts } from "../../src/triage/triage-fns.ts";

const CLASSES = { CHILD: ["孩子", "闺女", "妮儿"], PARTNER: ["老公", "孩子他爸"], SELF: ["我"] };
const C = String.fromCharCode(0xe000);
const P = String.fromCharCode(0xe001);

describe("conceptMarker / withConcepts", () => {
  const marker = conceptMarker(CLASSES, ["CHILD", "PARTNER"]);
  it.each([
    { text: "老公打闺女", expected: `老公打闺女\n${P}打${C}` },
    // the longest word wins: 孩子他爸 is the partner, not a child
    { text: "孩子他爸打我", expected: `孩子他爸打我\n${P}打我` },
    { text: "妮儿丢了", expected: `妮儿丢了\n${C}丢了` },
    { text: "几点开门", expected: "几点开门\n几点开门" },
  ])("$text", ({ text, expected }) => {
    expect(withConcepts(text, marker)).toBe(expected);
  });
  it("no classes named: null, and the text is unchanged", () => {
    expect(conceptMarker(CLASSES, [])).toBeNull();
    expect(withConcepts("老公打闺女", null)).toBe("老公打闺女");
  });
  it("an unknown class contributes nothing", () => {
    expect(conceptMarker(CLASSES, ["NOPE"])).toBeNull();
  });
  it("two child words give the same concept grams", () => {
    const a = featurise(withConcepts("俺闺女被打了", marker), 3);
    const b = featurise(withConcepts("俺妮儿被打了", marker), 3);
    expect(a).toContain(`${C}被打`);
    expect(b).toContain(`${C}被打`);
  });
});
