"""What each adverse event category means, in one line: for lists, help and reports."""

from __future__ import annotations

from console.outcomes.adverse_events import EventCategory

CATEGORY_WORDS: dict[EventCategory, str] = {
    EventCategory.PROCEDURE_RELATED: "a complication of the implant procedure not listed "
                                     "elsewhere",
    EventCategory.LEAD_MIGRATION: "a lead has moved from where it was placed",
    EventCategory.LEAD_FRACTURE: "a lead conductor is broken (often an open contact)",
    EventCategory.LEAD_EROSION: "a lead or anchor has worn through the skin",
    EventCategory.INADEQUATE_STIMULATION: "stimulation does not give a useful contraction",
    EventCategory.INTERMITTENT_STIMULATION: "stimulation comes and goes when it should not",
    EventCategory.OVERSTIMULATION: "stimulation too strong or uncomfortable",
    EventCategory.LOSS_OF_STIMULATION: "stimulation stopped working",
    EventCategory.WOUND_INFECTION: "infection of the lead or generator wound",
    EventCategory.HAEMORRHAGE: "bleeding during or after the procedure",
    EventCategory.WOUND_INFLAMMATION: "redness or swelling of a wound without infection",
    EventCategory.HAEMATOMA: "a collection of blood at a wound or the generator pocket",
    EventCategory.SURGICAL_SITE_PAIN: "pain at an incision beyond the expected recovery",
    EventCategory.ANCHOR_OR_POCKET_DISCOMFORT: "discomfort from a lead anchor or the "
                                               "generator pocket",
    EventCategory.MUSCLE_FATIGUE: "muscle soreness or tiredness from stimulation",
    EventCategory.UNDESIRED_SENSATION: "an unwanted sensation or muscle response during "
                                       "stimulation",
    EventCategory.NERVE_IRRITATION: "nerve irritation (e.g. radiating pain or tingling)",
    EventCategory.NERVE_DAMAGE: "nerve injury with lasting sensory or motor loss",
    EventCategory.IPG_FAILURE: "the implanted pulse generator failed",
    EventCategory.REVISION_SURGERY: "a further operation to reposition or replace a part",
    EventCategory.EXPLANT: "the system (or part of it) was removed",
    EventCategory.OTHER: "any other adverse event (describe it in the notes)",
}
