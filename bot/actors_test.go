package bot_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/warroom/warroom/bot"
)

// The store refuses events by actors it was not told of (issue 15); the
// core tells it of the catalog's people and of whoever it acts for, so
// that nothing warroom itself does is refused.

func TestCatalogActors(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"ana", "ben", "cy", "dee", "eli", "fay", "gus", bot.ActorBot}, bot.CatalogActors(testCatalog()))
	assert.Equal(t, []string{bot.ActorBot}, bot.CatalogActors(nil))
}
