"""One way to name electrodes: the same two contacts read the same everywhere."""

from console.leads.naming import contact_name, on_lead, pair_name, polarised_pair_name


def test_a_contact_is_E_and_its_wire_number():
    assert contact_name(0) == "E0"


def test_an_impedance_pair_reads_lowest_first_whatever_the_order_given():
    assert pair_name(2, 1) == pair_name(1, 2) == "E1–E2"


def test_a_stimulating_pair_keeps_electrode_order_and_marks_each_role():
    assert polarised_pair_name(anode=1, cathode=2) == "E1+ E2−"
    assert polarised_pair_name(anode=3, cathode=2) == "E2− E3+"


def test_a_name_on_a_lead_starts_with_its_side():
    assert on_lead(0, "E1+ E2−") == "left E1+ E2−"
    assert on_lead(1, contact_name(3)) == "right E3"
