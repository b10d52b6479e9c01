"""The Impedance tab: measuring the electrodes and showing them by contact and pair."""
