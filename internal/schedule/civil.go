package schedule

// Calendar arithmetic on plain integers. The engine reads local wall-clock
// time as "wall minutes": minutes since 1970-01-01 00:00 of the local
// calendar, as if the zone had no offset. Day numbers count days since
// 1970-01-01 the same way. Working on integers keeps Active allocation-free
// and lets searches skip whole days and months cheaply.

const (
	minutesPerDay = 24 * 60
	secondsPerDay = 24 * 60 * 60
	all60         = 1<<60 - 1 // every minute of an hour
	all24         = 1<<24 - 1 // every hour of a day
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// daysFromCivil returns the day number of y-m-d (proleptic Gregorian); m may
// be 13, meaning January of the next year.
func daysFromCivil(y int64, m, d int) int64 {
	if m > 12 {
		y, m = y+1, m-12
	}
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yearOfEra := y - era*400
	monthFromMarch := int64((m + 9) % 12)
	dayOfYear := (153*monthFromMarch+2)/5 + int64(d) - 1
	dayOfEra := yearOfEra*365 + yearOfEra/4 - yearOfEra/100 + dayOfYear
	return era*146097 + dayOfEra - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	dayOfEra := z - era*146097
	yearOfEra := (dayOfEra - dayOfEra/1460 + dayOfEra/36524 - dayOfEra/146096) / 365
	y = yearOfEra + era*400
	dayOfYear := dayOfEra - (365*yearOfEra + yearOfEra/4 - yearOfEra/100)
	monthFromMarch := (5*dayOfYear + 2) / 153
	d = int(dayOfYear - (153*monthFromMarch+2)/5 + 1)
	if monthFromMarch < 10 {
		m = int(monthFromMarch + 3)
	} else {
		m = int(monthFromMarch - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// weekdayOf returns the weekday of a day number, Sunday = 0 (1970-01-01 was a Thursday).
func weekdayOf(day int64) int { return int(floorMod(day+4, 7)) }

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y int64, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
