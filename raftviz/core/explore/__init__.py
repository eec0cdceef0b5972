"""Core room: what runs many simulations (random fault schedules, shrinking, experiments). It
stays pure: given a seed, a result; process pools and progress bars live outside the core."""
