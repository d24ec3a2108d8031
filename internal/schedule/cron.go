package schedule

import "math/bits"

// Matching a Cron against wall minutes. next and prev skip months and days
// that cannot match, so a rare expression such as "0 0 29 2 *" costs a few
// dozen steps per year searched, not one per minute.

// dayMatches applies cron's day rule to a local date.
func (c *Cron) dayMatches(m, d, weekday int) bool {
	if c.month&(1<<uint(m)) == 0 {
		return false
	}
	domHit := c.dom&(1<<uint(d)) != 0
	dowHit := c.dow&(1<<uint(weekday)) != 0
	if c.either {
		return domHit || dowHit
	}
	return domHit && dowHit
}

// dayMatchesNumber applies dayMatches to a day number.
func (c *Cron) dayMatchesNumber(day int64) bool {
	_, m, d := civilFromDays(day)
	return c.dayMatches(m, d, weekdayOf(day))
}

// everyDay reports whether every day of every month matches.
func (c *Cron) everyDay() bool {
	const allDom, allMonths, allDow = 0xfffffffe, 0x1ffe, 0x7f
	domAll, dowAll := c.dom == allDom, c.dow == allDow
	if c.month != allMonths {
		return false
	}
	if c.either {
		return domAll || dowAll
	}
	return domAll && dowAll
}

// next returns the first matching wall minute in [from, to].
func (c *Cron) next(from, to int64) (int64, bool) {
	wm := from
	for wm <= to {
		day := floorDiv(wm, minutesPerDay)
		y, m, d := civilFromDays(day)
		if c.month&(1<<uint(m)) == 0 {
			wm = daysFromCivil(y, m+1, 1) * minutesPerDay
			continue
		}
		if !c.dayMatches(m, d, weekdayOf(day)) {
			wm = (day + 1) * minutesPerDay
			continue
		}
		mod := wm - day*minutesPerDay
		h, minute := uint(mod/60), uint(mod%60)
		for {
			rest := uint64(c.hour) >> h << h // hours h and later
			if rest == 0 {
				break
			}
			if next := uint(bits.TrailingZeros64(rest)); next != h {
				h, minute = next, 0
			}
			if x := c.minute >> minute << minute; x != 0 {
				r := day*minutesPerDay + int64(h)*60 + int64(bits.TrailingZeros64(x))
				return r, r <= to
			}
			h, minute = h+1, 0
			if h >= 24 {
				break
			}
		}
		wm = (day + 1) * minutesPerDay
	}
	return 0, false
}

// prev returns the last matching wall minute in [to, from] (searching down from from).
func (c *Cron) prev(from, to int64) (int64, bool) {
	wm := from
	for wm >= to {
		day := floorDiv(wm, minutesPerDay)
		y, m, d := civilFromDays(day)
		if c.month&(1<<uint(m)) == 0 {
			wm = daysFromCivil(y, m, 1)*minutesPerDay - 1
			continue
		}
		if !c.dayMatches(m, d, weekdayOf(day)) {
			wm = day*minutesPerDay - 1
			continue
		}
		mod := wm - day*minutesPerDay
		h, minute := int(mod/60), uint(mod%60)
		for h >= 0 {
			upTo := uint64(c.hour) & (1<<uint(h+1) - 1) // hours h and earlier
			if upTo == 0 {
				break
			}
			if p := 63 - bits.LeadingZeros64(upTo); p != h {
				h, minute = p, 59
			}
			if x := c.minute & (1<<(minute+1) - 1); x != 0 {
				r := day*minutesPerDay + int64(h)*60 + int64(63-bits.LeadingZeros64(x))
				return r, r >= to
			}
			h, minute = h-1, 59
		}
		wm = day*minutesPerDay - 1
	}
	return 0, false
}

// startsOfDay lists, for a matching day, the first and last start minute and
// the longest gap between consecutive starts (all in minutes of the day).
func (c *Cron) startsOfDay() (first, last, maxGap int64, ok bool) {
	prev := int64(-1)
	for h := int64(0); h < 24; h++ {
		if c.hour&(1<<uint(h)) == 0 {
			continue
		}
		for mi := int64(0); mi < 60; mi++ {
			if c.minute&(1<<uint(mi)) == 0 {
				continue
			}
			at := h*60 + mi
			if prev < 0 {
				first = at
			} else if at-prev > maxGap {
				maxGap = at - prev
			}
			prev = at
		}
	}
	return first, prev, maxGap, prev >= 0
}
